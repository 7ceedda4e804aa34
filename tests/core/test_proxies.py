"""TRUSTED_PROXIES: X-Forwarded-For/-Proto are believed only from the configured proxies."""
from __future__ import annotations

import pytest

from app import create_app
from app.core.proxies import TrustedProxies, from_trusted_proxy, parse_networks
from config import TestingConfig


def seen(networks: str, peer: str, **headers: str) -> dict:
    """The environ the app gets behind the middleware."""
    captured = {}

    def app(environ, start_response):
        captured.update(environ)
        return []

    environ = {"REMOTE_ADDR": peer, "wsgi.url_scheme": "http",
               **{f"HTTP_{name.upper()}": value for name, value in headers.items()}}
    TrustedProxies(app, parse_networks(networks))(environ, lambda *a: None)
    return captured


def test_a_trusted_proxy_names_the_client_and_the_scheme():
    environ = seen("127.0.0.1", "127.0.0.1", x_forwarded_for="198.51.100.7", x_forwarded_proto="https")
    assert environ["REMOTE_ADDR"] == "198.51.100.7"
    assert environ["wsgi.url_scheme"] == "https"
    assert from_trusted_proxy(environ) and environ["ideenmarkt.peer_addr"] == "127.0.0.1"


def test_an_untrusted_peer_is_taken_by_its_own_address():
    environ = seen("127.0.0.1", "203.0.113.9", x_forwarded_for="198.51.100.7", x_forwarded_proto="https")
    assert environ["REMOTE_ADDR"] == "203.0.113.9"
    assert environ["wsgi.url_scheme"] == "http"
    assert not from_trusted_proxy(environ)


def test_addresses_a_client_put_in_front_of_the_proxys_entry_are_ignored():
    # nginx appends the address it saw: everything left of it came from the client.
    environ = seen("127.0.0.1", "127.0.0.1", x_forwarded_for="10.9.9.9, 1.2.3.4, 198.51.100.7")
    assert environ["REMOTE_ADDR"] == "198.51.100.7"


def test_a_chain_of_trusted_proxies_and_networks():
    environ = seen("127.0.0.1, 10.0.0.0/8", "127.0.0.1", x_forwarded_for="1.2.3.4, 198.51.100.7, 10.1.2.3")
    assert environ["REMOTE_ADDR"] == "198.51.100.7"
    environ = seen("::1 10.0.0.0/8", "::1", x_forwarded_for="2001:db8::5, 10.1.2.3")
    assert environ["REMOTE_ADDR"] == "2001:db8::5"


def test_garbage_in_the_header_is_not_an_address():
    assert seen("127.0.0.1", "127.0.0.1", x_forwarded_for="<script>")["REMOTE_ADDR"] == "127.0.0.1"
    assert seen("127.0.0.1", "127.0.0.1", x_forwarded_proto="gopher")["wsgi.url_scheme"] == "http"


def test_an_entry_that_is_no_address_stops_the_start():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        create_app(TestingConfig, TRUSTED_PROXIES="127.0.0.1, nginx.local")


def test_the_old_trust_proxy_switch_is_refused_with_a_pointer(monkeypatch):
    monkeypatch.setenv("TRUST_PROXY", "1")
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        create_app(TestingConfig)


def test_trusted_proxies_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1,::1")
    assert create_app(TestingConfig).config["TRUSTED_PROXIES"] == ["127.0.0.1/32", "::1/128"]


@pytest.fixture
def app_config():
    return {"TRUSTED_PROXIES": ["10.0.0.1"], "LOGIN_RATE_LIMIT": "2 per minute"}


def test_login_limit_by_the_client_address_the_proxy_names(client):
    def attempt(peer: str, forwarded_for: str) -> int:
        return client.submit("/login", {"email": "a@example.org", "password": "wrong password"},
                             environ_base={"REMOTE_ADDR": peer},
                             headers={"X-Forwarded-For": forwarded_for}).status_code

    # An untrusted peer inventing addresses: its own address counts.
    assert [attempt("203.0.113.9", f"198.51.100.{n}") for n in range(3)] == [200, 200, 429]
    # Through the trusted proxy, two clients are counted apart.
    assert [attempt("10.0.0.1", "198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert attempt("10.0.0.1", "198.51.100.2") == 200
