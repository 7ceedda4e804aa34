"""Application rules through the service API: lifecycle, window, duplicates, correction, staff."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.models import OutboxMail, utcnow
from app.events import application_services as services
from app.events.application_services import ApplicationData, ApplicationError
from app.events.models import Application
from app.extensions import db as _db


def _data(options, **overrides) -> ApplicationData:
    answers = {options["_id_age"]: options["age"][1], options["_id_district"]: options["district"][0]}
    fields = {"name": "Ada Lovelace", "email": "ada@example.org", "answers": answers, "consent": True,
              "language": "de"}
    fields.update(overrides)
    return ApplicationData(**fields)


def _token_from(mail: OutboxMail) -> str:
    return re.search(r"/applications/([A-Za-z0-9_.-]+?)(?:/|\s)", mail.body_text).group(1)


def _signature_from(mail: OutboxMail) -> str:
    return re.search(r"/applications/[A-Za-z0-9_.-]+/confirm/([A-Za-z0-9_.-]+)", mail.body_text).group(1)


def _mails(recipient=None) -> list[OutboxMail]:
    stmt = sa.select(OutboxMail).order_by(OutboxMail.id)
    if recipient:
        stmt = stmt.where(OutboxMail.recipient == recipient)
    return list(_db.session.execute(stmt).scalars())


def _applications() -> list[Application]:
    return list(_db.session.execute(sa.select(Application)).scalars())


@pytest.fixture
def event(db, open_event):
    return open_event()


@pytest.fixture
def options(event, event_options):
    return event_options(event.id)


def test_lifecycle_submit_confirm_correct_withdraw(event, options):
    application = services.submit_application(event, _data(options, email=" Ada@Example.ORG "))
    _db.session.commit()
    assert application.status == "unconfirmed"
    assert application.email == "ada@example.org"
    assert application.source == "online" and application.consent_at is not None
    [mail] = _mails()
    assert mail.recipient == "ada@example.org" and mail.sent_at is None
    assert "Bitte bestätigen" in mail.subject  # German by default
    assert mail.body_html and "<a href=" in mail.body_html
    token, signature = _token_from(mail), _signature_from(mail)
    assert len(token) >= 43  # 256 bits, URL-safe
    assert application.token_hash == services.hash_token(token) and token not in application.token_hash

    confirmed = services.confirm_application(token, signature)
    _db.session.commit()
    assert confirmed.id == application.id and confirmed.status == "applied" and confirmed.confirmed_at
    assert services.confirm_application(token, signature).status == "applied"  # twice is harmless

    services.update_answers(confirmed, "Ada King", {options["_id_age"]: options["age"][2],
                                                    options["_id_district"]: options["district"][1]})
    _db.session.commit()
    _db.session.expire_all()
    again = services.find_by_token(token)
    assert again.name == "Ada King"
    assert {a.option_id for a in again.answers} == {options["age"][2], options["district"][1]}

    services.withdraw(again, token)
    _db.session.commit()
    assert services.find_by_token(token).status == "withdrawn"
    assert "zurückgezogen" in _mails()[-1].subject
    with pytest.raises(ApplicationError) as err:
        services.withdraw(again, token)
    assert err.value.code == "not_withdrawable"
    with pytest.raises(ApplicationError) as err:
        services.update_answers(again, "X", {})
    assert err.value.code == "not_editable"


def test_english_applicant_gets_english_mail(event, options):
    services.submit_application(event, _data(options, language="en"))
    _db.session.commit()
    [mail] = _mails()
    assert mail.subject.startswith("Please confirm your application")
    assert "Hello Ada Lovelace" in mail.body_text


@pytest.mark.parametrize("shift, status", [
    ({"applications_open_at": timedelta(hours=1)}, "open"),           # not yet open
    ({"applications_close_at": timedelta(seconds=-1)}, "open"),       # closed a second ago
    ({}, "draft"), ({}, "closed"), ({}, "drawn"),
])
def test_window_limits(db, open_event, event_options, shift, status):
    now = utcnow()
    fields = {k: now + v for k, v in shift.items()}
    event = open_event(status=status, **fields)
    with pytest.raises(ApplicationError) as err:
        services.submit_application(event, _data(event_options(event.id)))
    assert err.value.code == "window_closed"
    _db.session.rollback()
    assert _applications() == [] and _mails() == []


def test_window_edges(db, open_event, event_options):
    now = utcnow()
    event = open_event(applications_open_at=now - timedelta(seconds=1))
    assert services.window_is_open(event, now)
    assert not services.window_is_open(event, event.applications_close_at)
    assert services.window_is_open(event, event.applications_close_at - timedelta(microseconds=1))
    assert not services.window_is_open(event, now - timedelta(seconds=2))


def test_duplicate_email_is_one_application_and_reminds_once_a_day(app, event, options):
    first = services.submit_application(event, _data(options, email="A@x.de "))
    _db.session.commit()
    first_hash, first_updated = first.token_hash, first.updated_at
    first_token = _token_from(_mails("a@x.de")[0])
    second = services.submit_application(event, _data(options, email="a@x.de", name="Someone Else",
                                                      answers={options["_id_age"]: options["age"][0],
                                                               options["_id_district"]: options["district"][1]}))
    _db.session.commit()
    assert second.id == first.id
    [application] = _applications()
    assert application.name == "Ada Lovelace"  # a duplicate changes nothing
    assert application.token_hash == first_hash and application.updated_at == first_updated
    assert services.find_by_token(first_token).id == first.id  # the first mail's link still works
    mails = _mails("a@x.de")
    assert len(mails) == 2
    # Still unconfirmed: the reminder carries its own confirmation link that works.
    token, signature = _token_from(mails[1]), _signature_from(mails[1])
    assert token != first_token
    assert services.confirm_application(token, signature).status == "applied"
    _db.session.commit()
    # More attempts the same day send nothing more.
    for _ in range(3):
        services.submit_application(event, _data(options, email="A@X.DE"))
        _db.session.commit()
    assert len(_mails("a@x.de")) == 2
    # A day later a duplicate reminds again: "you have already applied", the same working link.
    application.reminded_at = utcnow() - timedelta(hours=app.config["APPLICATION_REMINDER_HOURS"], seconds=1)
    _db.session.commit()
    services.submit_application(event, _data(options, email="A@X.DE"))
    _db.session.commit()
    third = _mails("a@x.de")[2]
    assert "/confirm/" not in third.body_text
    assert _token_from(third) == token
    assert services.find_by_token(token).id == first.id
    assert services.find_by_token(first_token).id == first.id


@pytest.mark.parametrize("forged", ["1.", "1.x", "x.abc", "999999.abc", "1." + "A" * 43, "-1.abc", "１.abc"])
def test_forged_reminder_tokens_find_nothing(event, options, forged):
    services.submit_application(event, _data(options))
    _db.session.commit()
    assert services.find_by_token(forged) is None


def test_erasure_ends_the_reminder_link_too(event, options):
    application = services.submit_application(event, _data(options))
    _db.session.commit()
    token = services.reminder_token(application)
    assert services.find_by_token(token).id == application.id
    application.token_hash = services.hash_token(services.new_token())  # as the privacy purge does
    _db.session.commit()
    assert services.find_by_token(token) is None


def test_confirmation_link_expires_after_72_hours(app, event, options, monkeypatch):
    services.submit_application(event, _data(options))
    _db.session.commit()
    [mail] = _mails()
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 72 * 3600 + 5)
    with pytest.raises(ApplicationError) as err:
        services.confirm_application(_token_from(mail), _signature_from(mail))
    assert err.value.code == "link_expired"
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 71 * 3600)
    assert services.confirm_application(_token_from(mail), _signature_from(mail)).status == "applied"


def test_confirmation_needs_matching_token_and_signature(event, options):
    a = services.submit_application(event, _data(options, email="a@example.org"))
    b = services.submit_application(event, _data(options, email="b@example.org"))
    _db.session.commit()
    mail_a, mail_b = _mails("a@example.org")[0], _mails("b@example.org")[0]
    for token, signature, code in [
        (_token_from(mail_a), _signature_from(mail_b), "link_invalid"),
        (_token_from(mail_a), "garbage", "link_invalid"),
        ("wrong-token", _signature_from(mail_a), "not_found"),
    ]:
        with pytest.raises(ApplicationError) as err:
            services.confirm_application(token, signature)
        assert err.value.code == code
    assert {x.status for x in (a, b)} == {"unconfirmed"}


def test_no_confirmation_after_the_draw(event, options):
    services.submit_application(event, _data(options))
    _db.session.commit()
    [mail] = _mails()
    event.status = "drawn"
    _db.session.commit()
    with pytest.raises(ApplicationError) as err:
        services.confirm_application(_token_from(mail), _signature_from(mail))
    assert err.value.code == "too_late"


def test_correction_only_while_the_window_is_open(event, options):
    application = services.submit_application(event, _data(options))
    _db.session.commit()
    event.applications_close_at = utcnow() - timedelta(seconds=1)
    _db.session.commit()
    with pytest.raises(ApplicationError) as err:
        services.update_answers(application, "New Name", {})
    assert err.value.code == "not_editable"
    assert application.name == "Ada Lovelace"


@pytest.mark.parametrize("change, code", [
    ({"name": "  \x00 "}, "name_missing"),
    ({"name": "x" * 201}, "name_too_long"),
    ({"email": "not-an-email"}, "email_invalid"),
    ({"email": ""}, "email_missing"),
    ({"email": "ada@exa\x00mple.org"}, "email_invalid"),
    ({"consent": False}, "consent_missing"),
    ({"answers": {}}, "answer_missing"),
])
def test_invalid_data_is_refused(event, options, change, code):
    with pytest.raises(ApplicationError) as err:
        services.submit_application(event, _data(options, **change))
    assert err.value.code == code
    assert str(err.value.message)
    _db.session.rollback()
    assert _applications() == [] and _mails() == []


def test_options_of_other_criteria_or_events_are_refused(db, open_event, event_options):
    event = open_event()
    other = event_options(open_event().id)
    options = event_options(event.id)
    for answers in (
        {options["_id_age"]: options["district"][0], options["_id_district"]: options["district"][0]},
        {options["_id_age"]: other["age"][0], options["_id_district"]: options["district"][0]},
        {options["_id_age"]: 999_999, options["_id_district"]: options["district"][0]},
        {options["_id_age"]: "abc", options["_id_district"]: options["district"][0]},
    ):
        with pytest.raises(ApplicationError) as err:
            services.submit_application(event, _data(options, answers=answers))
        assert err.value.code == "answer_invalid"
    assert _applications() == []


def test_staff_adds_phone_application_applied_at_once(event, options, create_user):
    staff = create_user(roles=("admin",))
    application = services.add_by_staff(event, _data(options, email="", name="Erika Mustermann"), staff, "phone")
    _db.session.commit()
    assert application.status == "applied" and application.source == "phone"
    assert application.consent_recorded_by_id == staff.id and application.email is None
    assert _mails() == []  # no address, no mail
    paper = services.add_by_staff(event, _data(options, email="Paper@Example.org"), staff, "paper")
    _db.session.commit()
    assert paper.email == "paper@example.org"
    [mail] = _mails()
    assert "/confirm/" not in mail.body_text and services.find_by_token(_token_from(mail)).id == paper.id
    for data, source, code in [
        (_data(options, email="PAPER@example.org"), "paper", "duplicate"),
        (_data(options, email="x@example.org"), "online", "source_invalid"),
        (_data(options, email="y@example.org", consent=False), "phone", "consent_missing"),
    ]:
        with pytest.raises(ApplicationError) as err:
            services.add_by_staff(event, data, staff, source)
        assert err.value.code == code
        _db.session.rollback()
    assert len(_applications()) == 2
    services.remove(paper)
    _db.session.commit()
    assert len(_applications()) == 1


def test_counts_and_export(event, options, create_user):
    staff = create_user(roles=("admin",))
    services.submit_application(event, _data(options, email="u@example.org"))
    services.add_by_staff(event, _data(options, name="=HYPERLINK(\"http://evil\")", email=""), staff, "paper")
    services.add_by_staff(event, _data(options, name="Bob", email="bob@example.org",
                                       answers={options["_id_age"]: options["age"][2],
                                                options["_id_district"]: options["district"][1]}),
                          staff, "phone")
    _db.session.commit()
    assert services.counts_by_status(event) == {"unconfirmed": 1, "applied": 2}
    by_option = services.counts_by_option(event)
    assert by_option[options["age"][1]] == 1 and by_option[options["age"][2]] == 1  # unconfirmed not counted
    rows = list(services.export_rows(event, batch=2))
    header, *data = rows
    assert header[-2:] == ["Altersgruppe", "Stadtteil"]
    assert len(data) == 3
    assert data[1][1] == "'=HYPERLINK(\"http://evil\")"
    assert data[2][-2:] == ["60 und älter", "Außenbezirk"]
    assert services.csv_safe("-1") == "'-1" and services.csv_safe("+49") == "'+49" and services.csv_safe("@x") == "'@x"
    assert services.csv_safe("Ada") == "Ada"
