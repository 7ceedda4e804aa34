"""``flask privacy purge``: personal data past its retention period disappears from every
table; the lottery stays verifiable and the counts stay the same; a dry run changes nothing."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from click.testing import CliRunner

from app.extensions import db as _db
from tests.factories.lottery import run_verify
from tests.factories.privacy import (UNCONFIRMED_EMAIL, UNCONFIRMED_NAME, applicant_email, applicant_name,
                                     audit_file, dump_database)


def _purge(app, now, dry_run=False):
    from app.privacy.services import purge

    with app.app_context():
        report = purge(now=now, dry_run=dry_run)
        if dry_run:
            _db.session.rollback()
        else:
            _db.session.commit()
        return report


def _aggregates(app, event_id):
    from app.events.application_services import counts_by_status
    from app.events.models import Event
    from app.lottery.representativeness import representativeness
    from app.results.participation import participation, participation_by_option
    from app.results.ranking import idea_ranking
    from app.results.scope import event_scope
    from app.voting.models import Dot, Receipt, TallySnapshot

    with app.test_request_context():
        event = _db.session.get(Event, event_id)
        reports, sizes = representativeness(event)
        return {
            "status": counts_by_status(event),
            "representativeness": [(r.key, [(o.value, o.counts) for o in r.options]) for r in reports],
            "sizes": sizes,
            "dots": _db.session.execute(sa.select(sa.func.count()).select_from(Dot)).scalar_one(),
            "tally": sorted(_db.session.execute(sa.select(TallySnapshot.idea_id, TallySnapshot.channel,
                                                          TallySnapshot.dots)).all()),
            "receipts": sorted(_db.session.execute(sa.select(Receipt.digest, Receipt.dots)).all()),
            "ideas": sorted(_db.session.execute(sa.text("SELECT id, text FROM idea")).all()),
            "participation": participation([event_id]),
            "by_option": participation_by_option(event_id),
            "ranking": idea_ranking(event_scope(event, public=False)),
        }


def test_purge_after_retention_removes_personal_data_everywhere(app, client, privacy_world, tmp_path):
    before_dump = dump_database(app)
    for seeded in privacy_world.seeded:
        assert seeded.lower() in before_dump.lower(), seeded  # the world really holds it
    audit_before = audit_file(client, privacy_world.event_id, tmp_path / "before.json")
    verified_before = run_verify(tmp_path / "before.json")
    assert verified_before.exit_code == 0, verified_before.output
    aggregates = _aggregates(app, privacy_world.event_id)

    report = _purge(app, privacy_world.ends_at + timedelta(days=31))
    assert set(report.anonymised) == set(privacy_world.application_ids)
    assert report.deleted == {privacy_world.unconfirmed_id: "unconfirmed"}
    assert report.tickets and report.ideas and report.mails

    dump = dump_database(app).lower()
    for seeded in privacy_world.seeded:
        assert seeded.lower() not in dump, f"{seeded} survived the purge"
    assert "purge.example" not in dump
    audit_after = audit_file(client, privacy_world.event_id, tmp_path / "after.json")
    assert audit_after == audit_before
    verified_after = run_verify(tmp_path / "after.json")
    assert verified_after.exit_code == 0 and verified_after.output == verified_before.output
    assert _aggregates(app, privacy_world.event_id) == aggregates
    # The manage links are dead.
    assert client.get(f"/applications/{privacy_world.tokens[0]}").status_code == 404
    # A second run finds nothing more to do.
    assert _purge(app, privacy_world.ends_at + timedelta(days=32)).total == 0


def test_nothing_goes_before_the_period_ends(app, privacy_world):
    report = _purge(app, privacy_world.ends_at + timedelta(days=29))
    assert not report.anonymised and not report.ideas and not report.tickets
    dump = dump_database(app)
    assert applicant_name(0) in dump and applicant_email(1) in dump
    # ... but the unconfirmed application is older than 7 days.
    assert report.deleted == {privacy_world.unconfirmed_id: "unconfirmed"}
    assert UNCONFIRMED_NAME not in dump and UNCONFIRMED_EMAIL not in dump


def test_unconfirmed_younger_than_seven_days_stays(app, privacy_world):
    from app.core.models import utcnow

    report = _purge(app, utcnow() - timedelta(days=2))
    assert report.deleted == {} and report.anonymised == {}
    assert UNCONFIRMED_NAME in dump_database(app)


def test_dry_run_changes_nothing(app, privacy_world):
    before = dump_database(app)
    report = _purge(app, privacy_world.ends_at + timedelta(days=31), dry_run=True)
    assert report.total > 0 and report.anonymised
    assert dump_database(app) == before
    text = "\n".join(report.lines())
    assert "would erase" in text and "would delete" in text
    for seeded in privacy_world.seeded:
        assert seeded not in text


def test_cli_dry_run_and_purge(app, privacy_world):
    runner = CliRunner()
    now = (privacy_world.ends_at + timedelta(days=31)).isoformat()
    before = dump_database(app)
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--dry-run", "--now", now])
    assert result.exit_code == 0, result.output
    assert "Probelauf:" in result.output and f"Bewerbung {privacy_world.application_ids[0]}:" in result.output
    assert dump_database(app) == before
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--now", now])
    assert result.exit_code == 0, result.output
    assert applicant_name(0) not in dump_database(app)
    bad = app.test_cli_runner().invoke(args=["privacy", "purge", "--now", "yesterday"])
    assert bad.exit_code != 0 and "ISO" in bad.output
    assert runner is not None


def test_unselected_purged_when_waiting_list_expired_if_the_event_says_so(app, privacy_world):
    from app.events.models import Application
    from app.lottery.models import LotteryEntry

    with app.app_context():
        event = privacy_world.event
        event.purge_unselected_early = True
        _db.session.commit()
        starts_at = event.starts_at
        never_seated = set(_db.session.execute(
            sa.select(LotteryEntry.application_id).where(LotteryEntry.seat_since.is_(None))).scalars())
    assert not _purge(app, starts_at - timedelta(hours=1)).anonymised
    report = _purge(app, starts_at + timedelta(minutes=1))
    assert set(report.anonymised) == never_seated and never_seated
    with app.app_context():
        rows = _db.session.execute(sa.select(Application.id, Application.name)).all()
        names = {i: n for i, n in rows}
    for app_id in privacy_world.application_ids:
        assert (names[app_id] is None) == (app_id in never_seated)


def test_unselected_stay_without_the_setting(app, privacy_world):
    with app.app_context():
        starts_at = privacy_world.event.starts_at
    assert not _purge(app, starts_at + timedelta(days=1)).anonymised


def test_the_summary_says_one_item_and_several_items_in_both_languages(app):
    """``flask privacy purge`` printed "1 items removed." (issue 24): real plural forms."""
    from flask_babel import force_locale

    from app.privacy.services import PurgeReport

    one = PurgeReport(now=datetime(2027, 1, 1), dry_run=False, mails=[7])
    two = PurgeReport(now=datetime(2027, 1, 1), dry_run=True, tickets=[3], rate_limit_counters=1)
    with app.test_request_context():
        with force_locale("de"):
            assert one.closing_line() == "1 Eintrag entfernt."
            assert two.closing_line() == "Probelauf: 2 Einträge würden entfernt; nichts wurde geändert."
            assert two.lines() == ["Ticket 3: Name der Inhaberin oder des Inhabers würde gelöscht",
                                   "1 abgelaufener Zähler der Aufrufbegrenzung: würde gelöscht"]
        with force_locale("en"):
            assert one.closing_line() == "1 item removed."
            assert one.lines() == ["outbox mail 7: delete"]
            assert two.closing_line() == "Dry run: 2 items would be removed; nothing was changed."
