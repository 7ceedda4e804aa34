"""Public pages of processes and events."""
from __future__ import annotations
