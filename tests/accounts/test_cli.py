"""``flask users create|list`` and ``flask demo load``."""
from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.events.models import Event, Process
from app.ideas.models import Stand


def test_users_create_with_prompted_password(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Admin@Example.org", "--role", "admin", "--role", "council"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    user = db.session.execute(sa.select(User)).scalar_one()
    assert user.email == "admin@example.org" and user.role_names == {"admin", "council"}
    listing = runner.invoke(args=["users", "list"])
    assert "admin@example.org" in listing.output and "admin,council" in listing.output
    assert "a long enough password" not in listing.output


def test_users_create_refuses_bad_input(app, db):
    runner = app.test_cli_runner()
    bad_role = runner.invoke(args=["users", "create", "x@example.org", "--role", "king", "--password", "a long enough password"])
    assert bad_role.exit_code != 0
    short = runner.invoke(args=["users", "create", "x@example.org", "--role", "admin", "--password", "short"])
    assert short.exit_code != 0 and "12" in short.output
    assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0


def test_demo_load_is_idempotent_and_prints_logins(app, db, login, capfd):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    # The logins are not buried under the demo's audit log lines (the log writes to the stderr of the moment).
    assert '"event"' not in first.output + (first.stderr or "") + capfd.readouterr().err
    counts = [db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
              for m in (Process, Event, Stand, User)]
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    assert counts == [db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
                      for m in (Process, Event, Stand, User)]
    assert counts[:3] == [1, 8, 7]  # 2019: five workshops (3 + 4 stands); an open, a draft and an invitation-only event

    workshop = db.session.execute(sa.select(Event).where(Event.seats == 15)).scalar_one()
    assert workshop.place.startswith("Altes Rathaus, Bürgersaal")
    assert workshop.starts_at.date().isoformat() == "2019-04-01"
    stands = [s.title for s in db.session.execute(
        sa.select(Stand).where(Stand.event_id == workshop.id).order_by(Stand.position)).scalars()]
    assert stands == ["Relaunch der Homepage", "Bürgerportal", "Digitale Verwaltungsleistungen"]
    assert all(len(s.moderators) == 1 for s in db.session.execute(sa.select(Stand)).scalars())

    # The printed admin password works.
    line = next(l for l in second.output.splitlines() if "admin@esslingen.example" in l)
    password = line.split()[1]
    assert password in first.output
    client = app.test_client()
    login(client, "admin@esslingen.example", password)
    assert client.get("/manage/users").status_code == 200


def test_demo_load_if_empty_skips_a_used_database(app, db, create_user):
    create_user(email="real@stadt.example")
    result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert db.session.execute(sa.select(sa.func.count(Process.id))).scalar_one() == 0
