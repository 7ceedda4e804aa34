"""Which peers may tell the client's address and scheme (``TRUSTED_PROXIES``).

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are honoured only when the direct peer (the
TCP connection's address) is one of the configured proxy addresses or networks, e.g.
``127.0.0.1`` for the nginx of ``scripts/serve-prod.sh``. Anyone else who reaches the
gunicorn port is taken by their own address, whatever headers they send, so rate limits
cannot be dodged by inventing addresses.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The direct peer's address, kept in the WSGI environ before it is replaced by the client's.
PEER_KEY = "ideenmarkt.peer_addr"
#: True in the WSGI environ when the direct peer is a trusted proxy.
TRUSTED_KEY = "ideenmarkt.via_trusted_proxy"


def parse_networks(value: str | Iterable[str] | None) -> list[Network]:
    """``"127.0.0.1, 10.0.0.0/8 ::1"`` or a list of such entries → networks.

    :raises ValueError: for an entry that is no address or network.
    """
    if not value:
        return []
    entries = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is no IP address or network") from None
    return networks


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class TrustedProxies:
    """WSGI middleware: the client address and scheme from a trusted proxy's headers.

    With several proxies in a row (the city's front proxy, then nginx) list them all: the
    client is the right-most address of ``X-Forwarded-For`` that is not a trusted proxy.
    """

    def __init__(self, wsgi_app, networks: list[Network]):
        self.wsgi_app = wsgi_app
        self.networks = networks

    def trusts(self, address: str | None) -> bool:
        parsed = _address(address or "")
        return parsed is not None and any(parsed in network for network in self.networks)

    def client_address(self, peer: str, forwarded_for: str) -> str:
        client = peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if not self.trusts(client) or _address(hop) is None:
                break
            client = hop
        return client

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        environ[PEER_KEY] = peer
        environ[TRUSTED_KEY] = self.trusts(peer)
        if environ[TRUSTED_KEY]:
            environ["REMOTE_ADDR"] = self.client_address(peer, environ.get("HTTP_X_FORWARDED_FOR", ""))
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.wsgi_app(environ, start_response)


def from_trusted_proxy(environ) -> bool:
    """Whether this request came through a trusted proxy (its forwarded headers are honest)."""
    return bool(environ.get(TRUSTED_KEY))
