"""Representativeness across the stages of a council drawn from the register (issue 17): register →
invited → answered → drawn → confirmed → attended per criterion option, the answer rate per stratum,
the section on the lottery's representativeness page (German, English, roles), and what is still
shown after the register data is deleted."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.core.models import utcnow
from app.events.models import Criterion, Event, EventStatus
from app.extensions import db
from app.invitations import answering, retention, stages
from app.invitations.models import Invitation, RegisterExtract
from tests.factories.invitations import draw_invitations

#: The register of tests/support/register_files.py (40 rows, born 1940..1979, counted on 1 March 2027).
REGISTER_AGES = {"16-29": 0, "30-44": 0, "45-64": 17, "65+": 23}
REGISTER_GENDERS = {"w": 20, "m": 20, "d": 0}


def _criterion(key: str) -> Criterion:
    return db.session.execute(sa.select(Criterion).where(Criterion.key == key)).scalar_one()


def _value(criterion: Criterion, person) -> str:
    option_id = answering.register_option(criterion, person, datetime(2027, 3, 1).date())
    return next(o.value for o in criterion.options if o.id == option_id)


@pytest.fixture
def council(app, create_event):
    """Eight letters to 40 residents; four answer; two seats drawn; one confirmed and checked in.

    Returns the event id and the expected counts, computed from the rows themselves."""
    from app.lottery.commitment import publish_commitment
    from app.lottery.draw import perform_draw
    from app.lottery.seats import respond_to_seat
    from app.lottery.models import LotteryEntry
    from app.voting.checkin import check_in
    from app.voting.models import Ticket

    event_id = create_event(starts_at=datetime(2027, 3, 1, 9), ends_at=datetime(2027, 3, 1, 17), seats=2,
                            status="open").id
    with app.test_request_context():
        invited = draw_invitations(event_id)
        event = db.session.get(Event, event_id)
        age, gender, education = _criterion("age"), _criterion("gender"), _criterion("education")
        invitations = [db.session.get(Invitation, i) for i, _code in invited]
        expected = {"invited_age": Counter(_value(age, i.person) for i in invitations),
                    "invited_gender": Counter(_value(gender, i.person) for i in invitations),
                    "answered_age": Counter(_value(age, i.person) for i in invitations[:4]),
                    "invited_strata": Counter(i.stratum for i in invitations),
                    "answered_strata": Counter(i.stratum for i in invitations[:4])}
        for n, invitation in enumerate(invitations[:4]):
            answering.answer(invitation, email=f"p{n}@example.org", phone=None,
                             answers={education.id: education.options[n % 2].id}, consent=True, language="de")
        event.status = EventStatus.CLOSED.value
        db.session.flush()
        draw = publish_commitment(event, None, "server")
        perform_draw(draw, None, None, utcnow() + timedelta(days=7))
        seated = db.session.execute(sa.select(LotteryEntry).where(LotteryEntry.seat_since.is_not(None),
                                                                  LotteryEntry.rank.is_(None))
                                    .order_by(LotteryEntry.id)).scalars().all()
        assert len(seated) == 2
        assert respond_to_seat(seated[0], True) == "confirmed"
        ticket = db.session.execute(sa.select(Ticket).where(Ticket.event_id == event_id)).scalar_one()
        check_in(event, ticket.code)
        confirmed = seated[0].application
        expected["confirmed_education"] = next(a.option.value for a in confirmed.answers
                                               if a.criterion_id == education.id)
        db.session.commit()
    return event_id, expected


def _by_value(report: stages.StageCriterion, stage: str) -> dict[str, int | None]:
    return {o.value: o.counts[stage] for o in report.options}


def test_counts_per_stage_and_option(app, council):
    event_id, expected = council
    with app.test_request_context():
        result = stages.stages(db.session.get(Event, event_id))
    assert result.sizes == {"register": 40, "invited": 8, "answered": 4, "drawn": 2, "confirmed": 1, "attended": 1}
    assert not result.register_deleted and result.lottery_drawn and result.attendance_known
    age, gender, education = result.criteria
    assert (age.register_field, gender.register_field, education.register_field) == ("age", "gender", None)
    assert _by_value(age, "register") == REGISTER_AGES
    assert _by_value(gender, "register") == REGISTER_GENDERS
    assert _by_value(age, "invited") == {v: expected["invited_age"][v] for v in REGISTER_AGES}
    assert _by_value(gender, "invited") == {v: expected["invited_gender"][v] for v in REGISTER_GENDERS}
    assert _by_value(age, "answered") == {v: expected["answered_age"][v] for v in REGISTER_AGES}
    # The register does not hold education: only the later stages are counted.
    assert _by_value(education, "register") == {"none": None, "school": None, "abitur": None}
    assert _by_value(education, "answered") == {"none": 2, "school": 2, "abitur": 0}
    assert sum(_by_value(education, "drawn").values()) == 2
    assert _by_value(education, "confirmed")[expected["confirmed_education"]] == 1
    assert _by_value(education, "attended")[expected["confirmed_education"]] == 1
    # Shares of each stage's total; every stage sums to one over the options (nobody unassigned here).
    for criterion in (age, gender):
        for stage in stages.STAGES:
            assert sum(o.shares[stage] for o in criterion.options) == pytest.approx(1.0)
            assert criterion.unassigned[stage] == 0
    assert age.options[3].shares["register"] == pytest.approx(23 / 40)


def test_answer_rate_per_stratum(app, council):
    event_id, expected = council
    with app.test_request_context():
        result = stages.stages(db.session.get(Event, event_id))
    rows = {r.stratum: (r.register, r.invited, r.answered) for r in result.strata}
    assert rows == {s: ({"45–64": 17, "65+": 23}[s], expected["invited_strata"][s], expected["answered_strata"][s])
                    for s in ("45–64", "65+")}
    for r in result.strata:
        assert r.rate == pytest.approx(r.answered / r.invited)
    assert result.answer_rate == pytest.approx(0.5)


def test_the_page_in_german_and_english(app, staff_client, council):
    event_id, _expected = council
    url = f"/manage/events/{event_id}/lottery/representativeness"
    admin = staff_client("admin")
    html = admin.get(url).get_data(as_text=True)
    section = html[html.index('id="stages"'):]
    for word in ("Melderegister", "Eingeladen", "Geantwortet", "Ausgelost", "Bestätigt", "Teilgenommen",
                 "Antwortquote", "Antwortquote je Schicht"):
        assert word in section, word
    assert 'tabindex="0" role="region" aria-label="Antwortquote je Schicht"' in section
    assert '<th scope="col" class="num">Teilgenommen</th>' in section
    assert 'id="stages-deleted"' not in section
    assert 'aria-labelledby="chart-stages-age-title"' in section  # the chart, its table the text alternative
    assert "50,0" in section  # the overall answer rate
    # The invitations page links to it, once the invitations are drawn.
    invitations = admin.get(f"/manage/events/{event_id}/invitations").get_data(as_text=True)
    assert f'href="{url}#stages"' in invitations and "die Antwortquote je Schicht" in invitations
    admin.set_cookie("ideenmarkt_lang", "en")
    english = admin.get(url).get_data(as_text=True)
    section = english[english.index('id="stages"'):]
    for word in (">Residents' register</th>", "Invited", "Answered", "Drawn", "Confirmed", "Attended",
                 "Answer rate per stratum"):
        assert word in section, word
    assert "Melderegister" not in section


def test_roles(app, staff_client, client, council, create_event):
    event_id, _expected = council
    url = f"/manage/events/{event_id}/lottery/representativeness"
    assert staff_client("moderator").get(url).status_code == 403
    assert client.get(url).status_code in (302, 303)
    assert 'id="stages"' in staff_client("council").get(url).get_data(as_text=True)
    assert staff_client("admin").get("/manage/events/999999/lottery/representativeness").status_code == 404
    # Another event (no invitation draw) shows no stages section, and none of this event's figures.
    other = create_event(status="open").id
    assert 'id="stages"' not in staff_client("admin").get(
        f"/manage/events/{other}/lottery/representativeness").get_data(as_text=True)


def test_after_the_register_is_deleted(app, staff_client, council):
    event_id, expected = council
    with app.test_request_context():
        event = db.session.get(Event, event_id)
        extract = db.session.execute(sa.select(RegisterExtract).where(RegisterExtract.event_id == event_id)).scalar_one()
        retention.delete_register_rows(extract, utcnow())
        db.session.commit()
        result = stages.stages(event)
        assert result.register_deleted
        assert result.sizes == {"register": None, "invited": 8, "answered": 4, "drawn": 2, "confirmed": 1,
                                "attended": 1}
        age = result.criteria[0]
        assert set(_by_value(age, "register").values()) == {None} and set(_by_value(age, "invited").values()) == {None}
        # The answers of those who answered stay, and so do the invitations' strata and the record's.
        assert _by_value(age, "answered") == {v: expected["answered_age"][v] for v in REGISTER_AGES}
        assert {r.stratum: (r.register, r.invited, r.answered) for r in result.strata} == {
            s: ({"45–64": 17, "65+": 23}[s], expected["invited_strata"][s], expected["answered_strata"][s])
            for s in ("45–64", "65+")}
    html = staff_client("admin").get(f"/manage/events/{event_id}/lottery/representativeness").get_data(as_text=True)
    assert 'id="stages-deleted"' in html and "gelöscht" in html


def test_a_bounded_number_of_queries(app, council):
    """The counts are GROUP BY queries: their number does not grow with the register or the invitations."""
    event_id, _expected = council
    statements = []
    with app.test_request_context():
        event = db.session.get(Event, event_id)
        event.criteria  # loaded before counting
        engine = db.engine
        listener = lambda *args, **kwargs: statements.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            stages.stages(event)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) <= 14, statements


def test_the_council_report_has_the_stages(app, council):
    import io

    from flask_babel import force_locale
    from pypdf import PdfReader

    from app.results.report import council_report

    event_id, _expected = council
    with app.test_request_context():
        process = db.session.get(Event, event_id).process
        texts = {}
        for language in ("de", "en"):
            with force_locale(language):
                pdf = council_report(process)
            texts[language] = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    german = " ".join(texts["de"].split())
    for words in ("Stufen der Einladung aus dem Melderegister", "Melderegister Eingeladen Geantwortet Ausgelost "
                  "Bestätigt Teilgenommen Antwortquote", "Antwortquote je Schicht", "40 8 4 2 1 1 50,0"):
        assert words in german, words
    english = " ".join(texts["en"].split())
    assert "Stages of the invitation from the residents' register" in english
    assert "Answer rate per stratum" in english


def test_the_council_report_charts_the_stages(app, council):
    """The council report's stages section has charts beside its tables: the people per stage and, per
    criterion, each option's share at every stage, tagged as figures whose alternative text holds the numbers."""
    import io
    import re

    import pikepdf
    from flask_babel import force_locale

    from app.results.report import council_report

    event_id, _expected = council
    with app.test_request_context():
        process = db.session.get(Event, event_id).process
        alts = {}
        for language in ("de", "en"):
            with force_locale(language):
                pdf = pikepdf.open(io.BytesIO(council_report(process)))
            found = []

            def visit(element):
                kids = element.get("/K")
                for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
                    if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                        if kid.S == "/Figure":
                            found.append(str(kid.Alt))
                        visit(kid)

            visit(pdf.Root.StructTreeRoot)
            alts[language] = found
    german = alts["de"]
    assert "Balkendiagramm: Personen je Stufe. Melderegister: 40; Eingeladen: 8; Geantwortet: 4; Ausgelost: 2; " \
           "Bestätigt: 1; Teilgenommen: 1" in german
    stage_charts = [a for a in german if a.startswith("Balkendiagramm: Stufen für „")]
    assert stage_charts and all(re.search(r": .+ \d+ %", a) for a in stage_charts)
    assert any(a.startswith("Bar chart: People per stage. Residents' register: 40") for a in alts["en"])
    assert any(a.startswith("Bar chart: Stages for “") for a in alts["en"])


def test_the_council_report_shows_the_invitations_before_the_seat_draw(app, create_event):
    """A council still answering its letters (no seat lottery yet): the report shows whom the letters
    reached so far, under the council's name (it showed nothing of it before the seat draw)."""
    import io

    from flask_babel import force_locale
    from pypdf import PdfReader

    from app.results.report import council_report

    event_id = create_event(starts_at=datetime(2027, 3, 1, 9), ends_at=datetime(2027, 3, 1, 17), seats=2,
                            status="open", title="Bürgerrat Klima").id
    with app.test_request_context():
        invited = draw_invitations(event_id)
        education = _criterion("education")
        for n, (invitation_id, _code) in enumerate(invited[:3]):
            answering.answer(db.session.get(Invitation, invitation_id), email=f"p{n}@example.org", phone=None,
                             answers={education.id: education.options[n % 2].id}, consent=True, language="de")
        db.session.commit()
        process = db.session.get(Event, event_id).process
        funnel = stages.stages(db.session.get(Event, event_id))
        # Nobody can be drawn, confirmed or present yet: not known ("–"), not a 0 that reads as a result.
        assert [funnel.sizes[s] for s in ("answered", "drawn", "confirmed", "attended")] == [3, None, None, None]
        assert all(o.counts["confirmed"] is None for c in funnel.criteria for o in c.options)
        with force_locale("de"):
            pdf = council_report(process)
    german = " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Einladung aus dem Melderegister: Bürgerrat Klima" in german
    assert "Antwortquote je Schicht" in german and "40 8 3" in german


def test_chart_labels_are_wrapped_not_cut():
    """The council reads a stand's name with its event's in brackets whole: up to three lines in the
    label column, each within it; only a label longer than that ends in "…"."""
    from reportlab.pdfbase import pdfmetrics

    from app.results.report import LABEL_SIZE, LABEL_WIDTH, label_lines

    label = "Digitale Verwaltungsleistungen (Bürger-Workshop zur Digitalisierungsstrategie „Esslingen 4.0“)"
    lines = label_lines(label, "Helvetica")
    assert 1 < len(lines) <= 3 and " ".join(lines) == label
    assert all(pdfmetrics.stringWidth(line, "Helvetica", LABEL_SIZE) <= LABEL_WIDTH for line in lines)
    long = label_lines(" ".join([label] * 4), "Helvetica")
    assert len(long) == 3 and long[-1].endswith(" …")
    assert label_lines("Radwege", "Helvetica") == ["Radwege"]
