"""Password checks (Argon2) are limited per account and by a budget for the whole site, charged
before the hash is computed: wrong passwords from rotating addresses cannot take the CPU, and the
current-password check of the password-change form cannot be guessed."""
from __future__ import annotations

import threading

import pytest

from tests.support.clients import DEFAULT_PASSWORD


@pytest.fixture
def app_config():
    return {"LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute", "PASSWORD_CHANGE_RATE_LIMIT": "3 per minute",
            "MAIL_SEND_AFTER_REQUEST": False, "MAIL_RETRY_INTERVAL": -1}


def attempt(app, email: str, password: str, address: str, lang: str | None = None):
    """A login from its own client and address (an attacker rotating both)."""
    client = app.test_client()
    if lang:
        client.set_cookie("ideenmarkt_lang", lang)
    return client.submit("/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def test_wrong_passwords_for_one_account_from_rotating_addresses(app, create_user):
    anna, ben = create_user(email="anna@example.org"), create_user(email="ben@example.org")
    statuses = [attempt(app, anna.email, "wrong password!", f"198.51.100.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 200]
    refused = attempt(app, anna.email, "wrong password!", "198.51.100.50")
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert "Zu viele falsche Passwörter für dieses Konto" in refused.get_data(as_text=True)
    # Checked before the password: the right one is refused too while the account is blocked ...
    assert attempt(app, anna.email, DEFAULT_PASSWORD, "198.51.100.51").status_code == 429
    # ... an unknown email is limited the same way (no enumeration) ...
    assert [attempt(app, "nobody@example.org", "wrong password!", f"203.0.113.{n}").status_code
            for n in range(4)] == [200, 200, 200, 429]
    # ... and other accounts are not affected.
    assert attempt(app, ben.email, DEFAULT_PASSWORD, "198.51.100.50").status_code == 302


def test_correct_passwords_do_not_count_towards_the_account_limit(app, create_user):
    anna = create_user(email="anna@example.org")
    for n in range(5):
        assert attempt(app, anna.email, DEFAULT_PASSWORD, f"198.51.100.{n}").status_code == 302
    assert [attempt(app, anna.email, "wrong password!", "198.51.100.9").status_code for _ in range(4)] == [
        200, 200, 200, 429]


@pytest.mark.parametrize("app_config", [{"PASSWORD_CHECK_BUDGET": "4 per minute", "MAIL_SEND_AFTER_REQUEST": False,
                                         "MAIL_RETRY_INTERVAL": -1}])
def test_the_sites_budget_refuses_logins_only(app, create_event):
    """Rotating accounts and addresses: beyond the budget the login answers 429 in the visitor's
    language; every other page answers as before."""
    statuses = [attempt(app, f"guess{n}@example.org", "wrong password!", f"198.51.100.{n}").status_code
                for n in range(4)]
    assert statuses == [200] * 4
    german = attempt(app, "guess9@example.org", "wrong password!", "198.51.100.9")
    assert german.status_code == 429
    assert "zu viele Anmeldeversuche" in german.get_data(as_text=True)
    english = attempt(app, "guess10@example.org", "wrong password!", "198.51.100.10", lang="en")
    assert english.status_code == 429
    assert "too many login attempts on this site" in english.get_data(as_text=True)
    visitor = app.test_client()
    for path in ("/", "/login", f"/events/{create_event(status='open').id}", "/healthz"):
        assert visitor.get(path).status_code == 200, path


@pytest.mark.parametrize("app_config", [{"PASSWORD_CHECK_BUDGET": "4 per minute", "MAIL_SEND_AFTER_REQUEST": False,
                                         "MAIL_RETRY_INTERVAL": -1}])
def test_simultaneous_logins_compute_at_most_the_budget_of_hashes(app, monkeypatch):
    """16 wrong logins at the same moment (other accounts, other addresses): at most 4 Argon2
    verifications run. Each verification waits until all 16 have been let in or refused, so a
    budget charged after the hash (all 16 computed) cannot pass by luck."""
    from app.accounts import services

    attempts, budget = 16, 4
    decided = threading.Condition()
    counts = {"hashed": 0, "refused": 0}
    real_dummy_verify = services._dummy_verify

    def verify_once_all_are_decided(password):
        with decided:
            counts["hashed"] += 1
            decided.notify_all()
            decided.wait_for(lambda: counts["hashed"] + counts["refused"] == attempts, timeout=60)
        return real_dummy_verify(password)

    monkeypatch.setattr(services, "_dummy_verify", verify_once_all_are_decided)
    statuses: list[int] = []

    def login(n: int) -> None:
        status = attempt(app, f"guess{n}@example.org", "wrong password!", f"198.51.100.{n}").status_code
        with decided:
            if status == 429:
                counts["refused"] += 1
                decided.notify_all()
            statuses.append(status)

    threads = [threading.Thread(target=login, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert counts["hashed"] == budget
    assert sorted(statuses) == [200] * budget + [429] * (attempts - budget), statuses


def test_the_current_password_check_is_limited(app, create_user, login):
    anna = create_user(email="anna@example.org")
    client = app.test_client()
    login(client, anna)

    def change(current: str):
        return client.submit("/account/password", {"current_password": current, "new_password": "a new long passphrase",
                                                   "confirm": "a new long passphrase"})

    assert [change(f"wrong guess {n}").status_code for n in range(3)] == [200, 200, 200]
    refused = change("wrong guess 3")
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert "Zu viele falsche Passwörter" in refused.get_data(as_text=True)
    # Checked before the password: even the right one waits now, and nothing changed.
    assert change(DEFAULT_PASSWORD).status_code == 429
    assert attempt(app, anna.email, DEFAULT_PASSWORD, "198.51.100.1").status_code == 302
