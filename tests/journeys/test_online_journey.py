"""The whole online side of one process in Chromium (issue 18), in German and in English.

A resident on a 390 px phone signs up (a wrong address first; her answers are kept), confirms
through the mail of the outbox (real SMTP), submits an idea (with markup, shown as text), supports
two ideas of the held workshop, comments on one and answers a comment, edits her comment and her
idea, reports a comment, and withdraws her answer. A moderator at a desk approves her idea (the
open wall shows it at once, marked "Online"), hides another online idea with a rule of the
netiquette (the public list shows the rule in its place) and merges a third into a room idea,
which the resident follows: she gets one mail about the merge and stops following with its link.

Pre-moderation. One app, one live server and one browser (the session's) for the whole module;
one browser context per language and role.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.core.models import utcnow
from app.events.models import Event, Process
from app.extensions import db
from app.ideas import services as ideas
from app.ideas.models import Idea
from app.participation.models import Comment, OnlinePhase, OnlineSettings, Participant, Report, Support
from tests.support.browser import assert_page_fit
from tests.support.clients import DEFAULT_PASSWORD, PHONE, expire_browser_session
from tests.support.journeys import confirm_by_mail, journey_app, logged_in_page, serving
from tests.support.smtp import find_links

pytestmark = pytest.mark.browser

LANGS = ("de", "en")
SCRIPT = "<script>document.title='xss'</script>"


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    """A process with an upcoming workshop (its phase before open: ideas to stand "Radwege") and a
    workshop held and published (its phase after open: room ideas to support and comment, one with
    a comment of another resident); per language a waiting online idea to hide and one to merge."""
    app = journey_app(tmp_path_factory.mktemp("online-journey"), smtp_server, _pg_schema)
    with app.app_context():
        now = utcnow()
        process = Process(title="Mobilität 2030")
        coming = Event(process=process, title="Zukunftswerkstatt Radverkehr", status="open", seats=15,
                       starts_at=now + timedelta(days=30),
                       consent_text="Die Stadt verarbeitet Ihre Angaben nur für diese Beteiligung.")
        held = Event(process=process, title="Werkstatt Busverkehr", status="published", seats=15,
                     starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=10, hours=-4),
                     consent_text="Die Stadt verarbeitet Ihre Angaben nur für diese Beteiligung.")
        db.session.add_all([coming, held])
        db.session.flush()
        settings = OnlineSettings(process_id=process.id, moderation="pre")
        settings.netiquette_reasons = ["Keine Beleidigungen", "Keine Werbung"]
        db.session.add(settings)
        db.session.add_all([
            OnlinePhase(event_id=coming.id, kind="before", enabled=True, opens_at=now - timedelta(days=1),
                        closes_at=now + timedelta(days=29)),
            OnlinePhase(event_id=held.id, kind="after", enabled=True, opens_at=now - timedelta(days=1),
                        closes_at=now + timedelta(days=29))])
        moderator = accounts.create_user("moderation@stadt.example", "Moritz Moderation", DEFAULT_PASSWORD,
                                         ["moderator"])
        bikes = ideas.save_stand(coming, None, title="Radwege", position=0, moderator_ids=[moderator.id])
        buses = ideas.save_stand(held, None, title="Busse", position=0, moderator_ids=[moderator.id])
        room, _ = ideas.record_idea(bikes, "Fahrradstraße durch die Altstadt")
        night, _ = ideas.record_idea(buses, "Nachtbus am Wochenende")
        lane, _ = ideas.record_idea(buses, "Busspur auf der Hauptstraße")
        author = Participant(process_id=process.id, display_name="Autorin", show_name_publicly=True,
                             email="autorin@example.org", consent_at=now, confirmed_at=now,
                             token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest())
        db.session.add(author)
        db.session.flush()
        comment = Comment(idea_id=night.id, participant_id=author.id, moderation="visible",
                          text="Gute Idee, bitte auch sonntags.")
        ads = {lang: Comment(idea_id=night.id, participant_id=author.id, moderation="visible",
                             text=f"Tickets billiger bei Firma Y! ({lang})") for lang in LANGS}
        db.session.add_all([comment, *ads.values()])
        db.session.flush()

        def online(text: str) -> int:
            idea = Idea(stand=bikes, text=text, client_id=str(uuid.uuid4()), channel="online",
                        participant_id=author.id, moderation="pending")
            db.session.add(idea)
            db.session.flush()
            return idea.id

        per_lang = {lang: {"hide": online(f"Kauft Räder bei Firma X! ({lang})"),
                           "merge": online(f"Eine Fahrradstraße in der Altstadt ({lang})"), "ad": ads[lang].id}
                    for lang in LANGS}
        token = ideas.wall_link(coming).token
        db.session.commit()
        ids = {"process": process.id, "bikes": bikes.id, "buses": buses.id, "room": room.id, "night": night.id, "lane": lane.id,
               "comment": comment.id, "token": token, "per_lang": per_lang}
    with serving(app) as url:
        yield {"app": app, "url": url, **ids, "mine": {}, "comments": {}, "links": {}}


@pytest.fixture(scope="module")
def phones(browser, world):
    contexts = {}
    for lang in LANGS:
        contexts[lang] = browser.new_context(locale="de-DE" if lang == "de" else "en-GB", **PHONE)
        contexts[lang].set_default_timeout(15_000)
    yield {lang: context.new_page() for lang, context in contexts.items()}
    for context in contexts.values():
        context.close()


@pytest.fixture(scope="module")
def desks(browser, world):
    pages = {}
    for lang in LANGS:
        pages[lang] = logged_in_page(browser, world["url"], "moderation@stadt.example", DEFAULT_PASSWORD, lang=lang)
    yield {lang: page for lang, (_context, page) in pages.items()}
    for context, _page in pages.values():
        context.close()


T = {
    "de": {"join": "Online mitmachen", "name": "Anzeigename", "show_name": "Meinen Anzeigenamen öffentlich zeigen",
           "email": "E-Mail", "consent": "Ich willige in die oben beschriebene Verarbeitung meiner Daten ein.",
           "sign_up": "Anmelden", "check_mail": "Fast geschafft: Bitte sehen Sie in Ihr Postfach",
           "confirm": "Beteiligung bestätigen", "mine": "Meine Beteiligung", "your_idea": "Ihre Idee",
           "stand": "Marktstand", "submit": "Idee einreichen", "saved_idea": "Vielen Dank! Ihre Idee wurde gespeichert.",
           "pending": "wartet auf Freigabe", "list": "Ideen des Prozesses lesen und unterstützen",
           "support": "Unterstützen", "thanks": "Vielen Dank! Sie unterstützen diese Idee.",
           "one": "1 Unterstützung", "many": "{} Unterstützungen", "comments": "Kommentar", "comment": "Ihr Kommentar", "send": "Kommentar senden",
           "comment_waits": "Vielen Dank! Ihr Kommentar wird angezeigt, sobald die Moderation ihn freigegeben hat.",
           "reply": "Antworten", "your_reply": "Ihre Antwort", "send_reply": "Antwort senden",
           "edit": "Bearbeiten", "withdraw": "Zurückziehen", "save": "Speichern",
           "changes": "Ihre Änderungen wurden gespeichert.", "edit_comment": "Meinen Kommentar bearbeiten",
           "edit_idea": "Meine Idee bearbeiten", "withdraw_comment": "Kommentar zurückziehen",
           "withdrawn": "Ihr Kommentar wurde zurückgezogen.", "report": "Kommentar melden",
           "rule": "Gegen welche Regel der Netiquette verstößt er?", "note": "Hinweis an die Moderation (freiwillig)",
           "send_report": "Meldung senden", "rule_missing": "Bitte wählen Sie die Regel der Netiquette",
           "reported": "Vielen Dank! Die Moderation sieht sich Ihre Meldung an.",
           "queue": "Online-Ideen dieses Marktstands", "approve": "Idee Nr. {} freigeben",
           "approved": "Idee Nr. {} ist freigegeben und wird jetzt gezeigt.", "hide": "Idee Nr. {} ausblenden",
           "hidden": "Von der Moderation ausgeblendet. Grund: Keine Werbung", "merge": "Idee Nr. {} zusammenführen",
           "merged": "Idee Nr. {} wurde mit Idee Nr. {} zusammengeführt.",
           "approve_comment": "Kommentar K{} freigeben", "hide_comment": "Kommentar K{} ausblenden",
           "comment_approved": "Kommentar K{} ist freigegeben und wird jetzt angezeigt.",
           "comment_hidden": "Kommentar K{} ist jetzt ausgeblendet; an seiner Stelle steht der Grund.",
           "follow": "Dieser Idee folgen", "following": "Sie folgen dieser Idee jetzt. Wir schreiben Ihnen, wenn sich bei ihr etwas tut.",
           "merged_mail": "mit Idee Nr. {} zusammengeführt", "unfollow": "Dieser Idee nicht mehr folgen",
           "unfollowed": "Sie folgen dieser Idee nicht mehr. Sie bekommen keine E-Mails mehr zu ihr."},
    "en": {"join": "Take part online", "name": "Display name", "show_name": "Show my display name publicly",
           "email": "Email", "consent": "I agree to the processing of my data as described above.",
           "sign_up": "Sign up", "check_mail": "Almost done: check your mailbox",
           "confirm": "Confirm participation", "mine": "My participation", "your_idea": "Your idea",
           "stand": "Stand", "submit": "Submit idea", "saved_idea": "Thank you! Your idea has been saved.",
           "pending": "waiting for approval", "list": "Read and support the ideas of the process",
           "support": "Support this idea", "thanks": "Thank you! You support this idea.",
           "one": "1 support", "many": "{} supports", "comments": "comment", "comment": "Your comment", "send": "Send comment",
           "comment_waits": "Thank you! Your comment will be shown once a moderator has approved it.",
           "reply": "Reply", "your_reply": "Your reply", "send_reply": "Send reply",
           "edit": "Edit", "withdraw": "Withdraw", "save": "Save",
           "changes": "Your changes have been saved.", "edit_comment": "Edit my comment",
           "edit_idea": "Edit my idea", "withdraw_comment": "Withdraw comment",
           "withdrawn": "Your comment has been withdrawn.", "report": "Report a comment",
           "rule": "Which rule of the netiquette does it break?", "note": "Note for the moderation (optional)",
           "send_report": "Send report", "rule_missing": "Please choose the rule of the netiquette",
           "reported": "Thank you! The moderation will look at your report.",
           "queue": "Online ideas of this stand", "approve": "Approve idea No. {}",
           "approved": "Idea No. {} is approved and shown now.", "hide": "Hide idea No. {}",
           "hidden": "Hidden by the moderation. Reason: Keine Werbung", "merge": "Merge idea No. {}",
           "merged": "Idea No. {} has been merged into idea No. {}.",
           "approve_comment": "Approve comment C{}", "hide_comment": "Hide comment C{}",
           "comment_approved": "Comment C{} is approved and shown now.",
           "comment_hidden": "Comment C{} is hidden now; the reason is shown in its place.",
           "follow": "Follow this idea", "following": "You follow this idea now. We will write to you when something becomes of it.",
           "merged_mail": "with idea No. {}", "unfollow": "Stop following this idea",
           "unfollowed": "You no longer follow this idea. You will get no more mails about it."},
}


def _check(page, what: str) -> None:
    assert_page_fit(page, what)  # axe too
    assert page.title() != "xss"  # no markup of a field ran


def _flash(page) -> str:
    flash = page.locator(".flash-success")
    flash.wait_for()
    return flash.inner_text()


@pytest.mark.parametrize("lang", LANGS)
def test_resident_on_a_phone(world, phones, smtp_server, lang):
    page, app, t = phones[lang], world["app"], T[lang]
    address, name = f"resident-{lang}@example.org", f"Rad {lang} <b>Fan</b>"
    smtp_server.clear()
    page.goto(f"{world['url']}/processes/{world['process']}")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        page.get_by_role("link", name=t["join"]).first.wait_for()
    page.get_by_role("link", name=t["join"]).first.click()
    page.get_by_role("heading", name=t["join"]).wait_for()
    _check(page, f"sign-up ({lang})")

    # A wrong address first: the message at the field, every answer kept; then the correction.
    page.get_by_label(t["name"], exact=True).fill(name)
    page.get_by_label(t["show_name"]).check()
    page.get_by_label(t["email"], exact=True).fill(f"resident-{lang}@example")
    page.get_by_label(t["consent"]).check()
    page.get_by_role("button", name=t["sign_up"]).click()
    page.locator("#error-summary").wait_for()
    assert page.locator("#email-error").is_visible()
    assert page.get_by_label(t["name"], exact=True).input_value() == name
    assert page.get_by_label(t["email"], exact=True).input_value() == f"resident-{lang}@example"
    assert page.get_by_label(t["show_name"]).is_checked() and page.get_by_label(t["consent"]).is_checked()
    _check(page, f"sign-up with a wrong address ({lang})")
    page.get_by_label(t["email"], exact=True).fill(address)
    page.get_by_role("button", name=t["sign_up"]).click()
    page.get_by_role("heading", name=t["check_mail"]).wait_for()

    confirm_by_mail(page, smtp_server, address, t["confirm"], t["mine"])
    assert name in page.locator("main").inner_text()  # the display name as text
    _check(page, f"my participation ({lang})")
    mine = page.url
    world["links"][lang] = (mine, address)
    with app.app_context():
        participant = db.session.execute(sa.select(Participant).where(Participant.email == address)).scalar_one()
        participant_id = participant.id

    # An idea with markup: stored and shown as text.
    page.get_by_label(t["stand"]).select_option(label="Zukunftswerkstatt Radverkehr: Radwege")
    page.get_by_label(t["your_idea"]).fill(f"Radweg an der Schule {lang} {SCRIPT}")
    page.get_by_role("button", name=t["submit"]).click()
    assert _flash(page) == t["saved_idea"]
    card = page.locator(".idea-list li").first
    assert SCRIPT in card.inner_text() and t["pending"] in card.inner_text()
    _check(page, f"my participation with an idea ({lang})")
    with app.app_context():
        idea = db.session.execute(sa.select(Idea).where(Idea.participant_id == participant_id)).scalar_one()
        assert (idea.channel, idea.moderation, idea.stand_id) == ("online", "pending", world["bikes"])
        world["mine"][lang] = idea.id

    # Edit the idea.
    card.get_by_role("link", name=t["edit"]).click()
    page.get_by_role("heading", name=t["edit_idea"]).wait_for()
    _check(page, f"edit my idea ({lang})")
    page.get_by_label(t["your_idea"]).fill(f"Sicherer Radweg an der Schule {lang} {SCRIPT}")
    page.get_by_role("button", name=t["save"]).click()
    page.get_by_role("heading", name=t["mine"]).wait_for()
    assert f"Sicherer Radweg an der Schule {lang} {SCRIPT}" in page.locator(".idea-list").first.inner_text()

    # Support two ideas of the held workshop.
    page.get_by_role("link", name=t["list"]).click()
    for idea_id in (world["night"], world["lane"]):
        card = page.locator(f"#idea-{idea_id}")
        card.wait_for()
        if idea_id == world["night"]:
            _check(page, f"the ideas to support ({lang})")
        with app.app_context():
            count = db.session.execute(sa.select(sa.func.count()).select_from(Support).where(
                Support.idea_id == idea_id)).scalar_one() + 1
        card.get_by_role("button", name=t["support"], exact=True).click()
        assert _flash(page) == t["thanks"]
        counted = t["one"] if count == 1 else t["many"].format(count)
        assert counted in page.locator(f"#idea-{idea_id}").inner_text()  # the other language's support too
    with app.app_context():
        assert set(db.session.execute(sa.select(Support.idea_id).where(
            Support.participant_id == participant_id)).scalars()) == {world["night"], world["lane"]}

    # Comment on the night bus, with markup; answer the other resident's comment.
    page.locator(f"#idea-{world['night']}").get_by_role("link", name=re.compile(t["comments"])).click()
    page.get_by_label(t["comment"]).wait_for()
    _check(page, f"an idea with its comments ({lang})")
    page.get_by_label(t["comment"]).fill(f"Bis 2 Uhr {lang} {SCRIPT}")
    page.get_by_role("button", name=t["send"]).click()
    assert _flash(page) == t["comment_waits"]
    thread = page.locator(f"#comment-{world['comment']}")
    thread.get_by_text(t["reply"], exact=True).click()
    thread.get_by_label(t["your_reply"]).fill(f"Ja, sonntags auch {lang}")
    thread.get_by_role("button", name=t["send_reply"]).click()
    assert _flash(page) == t["comment_waits"]
    with app.app_context():
        written = db.session.execute(sa.select(Comment).where(Comment.participant_id == participant_id)
                                     .order_by(Comment.id)).scalars().all()
        assert [(c.parent_id, c.moderation) for c in written] == [(None, "pending"), (world["comment"], "pending")]
        comment_id, reply_id = written[0].id, written[1].id
        world["comments"][lang] = comment_id

    # Report another comment of the other resident: first without a rule (the note kept), then with one.
    ad = world["per_lang"][lang]["ad"]
    page.locator(f"#comment-{ad}").get_by_role("link", name=t["report"]).click()
    page.get_by_label(t["rule"]).wait_for()
    _check(page, f"report a comment ({lang})")
    page.get_by_label(t["note"]).fill(f"Werbung? {lang} {SCRIPT}")
    page.get_by_role("button", name=t["send_report"]).click()
    page.locator("#error-summary").wait_for()
    assert t["rule_missing"] in page.locator("#error-summary").inner_text()
    assert page.get_by_label(t["note"]).input_value() == f"Werbung? {lang} {SCRIPT}"
    _check(page, f"report without a rule ({lang})")
    page.get_by_label(t["rule"]).select_option("Keine Werbung")
    page.get_by_role("button", name=t["send_report"]).click()
    assert _flash(page) == t["reported"]
    with app.app_context():
        report = db.session.execute(sa.select(Report).where(Report.participant_id == participant_id)).scalar_one()
        assert (report.comment_id, report.reason) == (ad, "Keine Werbung")

    # Edit the comment and withdraw the answer, from "My participation".
    page.goto(mine)
    own = page.locator(f"#comment-{comment_id}")
    assert SCRIPT in own.inner_text()
    own.get_by_role("link", name=t["edit"]).click()
    page.get_by_role("heading", name=t["edit_comment"]).wait_for()
    _check(page, f"edit my comment ({lang})")
    assert page.get_by_label(t["comment"]).input_value() == f"Bis 2 Uhr {lang} {SCRIPT}"
    page.get_by_label(t["comment"]).fill(f"Bis 3 Uhr {lang} {SCRIPT}")
    page.get_by_role("button", name=t["save"]).click()
    assert _flash(page) == t["changes"]
    assert f"Bis 3 Uhr {lang} {SCRIPT}" in page.locator(f"#comment-{comment_id}").inner_text()
    page.locator(f"#comment-{reply_id}").get_by_role("link", name=t["withdraw"]).click()
    page.get_by_role("button", name=t["withdraw_comment"]).wait_for()
    _check(page, f"withdraw my comment ({lang})")
    page.get_by_role("button", name=t["withdraw_comment"]).click()
    assert _flash(page) == t["withdrawn"]
    assert page.locator(f"#comment-{reply_id}").get_by_role("link", name=t["edit"]).count() == 0
    _check(page, f"my participation at the end ({lang})")
    with app.app_context():
        assert db.session.get(Comment, reply_id).withdrawn_at is not None
        assert db.session.get(Comment, comment_id).text == f"Bis 3 Uhr {lang} {SCRIPT}"


@pytest.mark.parametrize("lang", LANGS)
def test_moderator_at_a_desk(world, desks, phones, smtp_server, lang):
    page, app, t = desks[lang], world["app"], T[lang]
    mine = world["mine"].get(lang)
    if mine is None:
        pytest.skip("the resident's journey did not submit an idea")
    hide, merge = world["per_lang"][lang]["hide"], world["per_lang"][lang]["merge"]
    page.goto(f"{world['url']}/stands/{world['bikes']}/capture")
    page.get_by_role("link", name=t["queue"]).click()
    page.wait_for_url(f"**/stands/{world['bikes']}/online")
    _check(page, f"the online queue ({lang})")
    assert SCRIPT in page.locator("main").inner_text()

    # The wall of the workshop is open: the approved idea appears on it at once, marked "Online".
    wall = page.context.new_page()
    wall.goto(f"{world['url']}/wall/{world['token']}")
    wall.locator(f'.wall-idea[data-id="{world["room"]}"]').wait_for()
    assert wall.locator(f'.wall-idea[data-id="{mine}"]').count() == 0
    page.get_by_role("button", name=t["approve"].format(mine)).click()
    assert _flash(page) == t["approved"].format(mine)
    shown = wall.locator(f'.wall-idea[data-id="{mine}"]')
    shown.wait_for()
    assert f"Sicherer Radweg an der Schule {lang} {SCRIPT}" in shown.inner_text()
    assert shown.locator(".wall-channel").inner_text() == "Online"
    assert wall.title() != "xss"
    wall.close()

    # Hide an advertisement with a rule of the netiquette.
    page.locator(f"#hide-{hide}-reason").select_option("Keine Werbung")
    page.get_by_role("button", name=t["hide"].format(hide)).click()
    _flash(page)
    # Merge an online idea into the room idea (approved first).
    page.get_by_role("button", name=t["approve"].format(merge)).click()
    assert _flash(page) == t["approved"].format(merge)
    # The resident follows it on her phone, through her participation link.
    phone, (link, address) = phones[lang], world["links"][lang]
    phone.goto(f"{link}/ideas/{merge}")
    phone.get_by_role("button", name=t["follow"]).click()
    assert _flash(phone) == t["following"]
    _check(phone, f"an idea followed ({lang})")
    smtp_server.clear()
    page.locator(f"#merge-{merge}-target_id").fill(str(world["room"]))
    page.get_by_role("button", name=t["merge"].format(merge)).click()
    assert _flash(page) == t["merged"].format(merge, world["room"])
    # One mail about the merge, in her language, with a link that stops the mails without logging in.
    [mail] = smtp_server.wait_for(lambda m: m["To"] == address)
    text = mail.get_body(("plain",)).get_content()
    assert t["merged_mail"].format(world["room"]) in " ".join(text.split())
    phone.goto(next(url for url in find_links(mail) if "/stop-following/" in url))
    _check(phone, f"stop following from the mail ({lang})")
    phone.get_by_role("button", name=t["unfollow"]).click()
    assert _flash(phone) == t["unfollowed"]
    _check(page, f"the online queue after the work ({lang})")
    with app.app_context():
        assert db.session.get(Idea, mine).is_visible
        hidden = db.session.get(Idea, hide)
        assert (hidden.status, hidden.hidden_reason) == ("hidden", "Keine Werbung")
        assert db.session.get(Idea, merge).merged_into_id == world["room"]

    # The public list: the rule in the hidden idea's place, the resident's idea as text.
    page.goto(f"{world['url']}/processes/{world['process']}/ideas")
    page.locator(f"#idea-{hide}").get_by_text(t["hidden"]).wait_for()
    assert "Firma X" not in page.locator("main").inner_text()
    assert f"Sicherer Radweg an der Schule {lang} {SCRIPT}" in page.locator(f"#idea-{mine}").inner_text()
    _check(page, f"the public list ({lang})")


@pytest.mark.parametrize("lang", LANGS)
def test_moderator_works_the_reports_and_comments(world, desks, lang):
    """At the held workshop's stand: the resident's report is listed (her note as text); the moderator
    hides the reported comment with the rule and approves the resident's comment; the idea's public
    page shows the rule in the hidden comment's place and her comment as text."""
    page, app, t = desks[lang], world["app"], T[lang]
    own = world["comments"].get(lang)
    if own is None:
        pytest.skip("the resident's journey did not comment")
    ad = world["per_lang"][lang]["ad"]
    page.goto(f"{world['url']}/stands/{world['buses']}/online")
    report = page.locator("#reports-heading + ol > li", has_text=f"Firma Y! ({lang})")
    report.wait_for()
    assert f"Werbung? {lang} {SCRIPT}" in report.inner_text() and "Keine Werbung" in report.inner_text()
    _check(page, f"the online queue with a report ({lang})")

    page.locator(f"#hide-comment-{ad}-reason").select_option("Keine Werbung")
    page.get_by_role("button", name=t["hide_comment"].format(ad)).click()
    assert _flash(page) == t["comment_hidden"].format(ad)
    page.get_by_role("button", name=t["approve_comment"].format(own)).click()
    assert _flash(page) == t["comment_approved"].format(own)
    _check(page, f"the online queue after the comments ({lang})")
    with app.app_context():
        assert db.session.get(Comment, own).is_visible
        assert db.session.get(Comment, ad).hidden_reason == "Keine Werbung"

    page.goto(f"{world['url']}/processes/{world['process']}/ideas/{world['night']}")
    page.locator(f"#comment-{ad}").get_by_text(t["hidden"]).wait_for()
    assert f"Firma Y! ({lang})" not in page.locator("main").inner_text()
    assert page.locator(f"#comment-{own}-text").inner_text() == f"Bis 3 Uhr {lang} {SCRIPT}"
    _check(page, f"the public idea with comments ({lang})")


EXPIRED = {"de": "Ihre Sitzung war abgelaufen, deshalb wurde das Formular nicht gesendet.",
           "en": "Your session had expired, so the form was not sent."}


@pytest.mark.parametrize("lang", LANGS)
def test_resident_sends_after_her_session_expired(world, phones, lang):
    """The resident writes an answer and the edit of her comment, leaves each open overnight (her
    session cookie now reads as 13 hours old) and sends it: the page comes back with a warning and
    with what she typed, in the open answer form and in the edit form (not the stored text); she
    sends it again and it is saved once (issue 16 item 7)."""
    page, app, t = phones[lang], world["app"], T[lang]
    if lang not in world["links"] or lang not in world["comments"]:
        pytest.skip("the resident's journey did not finish")
    mine, _address = world["links"][lang]
    own = world["comments"][lang]
    answer = f"Am Feiertag auch, über Nacht {lang} {SCRIPT}"

    page.goto(mine)
    page.get_by_role("link", name=t["list"]).click()
    page.locator(f"#idea-{world['night']}").get_by_role("link", name=re.compile(t["comments"])).click()
    thread = page.locator(f"#comment-{world['comment']}")
    thread.get_by_text(t["reply"], exact=True).click()
    thread.get_by_label(t["your_reply"]).fill(answer)
    expire_browser_session(app, page.context)
    thread.get_by_role("button", name=t["send_reply"]).click()
    warning = page.locator(".flash-warning")
    warning.wait_for()
    assert EXPIRED[lang] in warning.inner_text()
    assert page.locator(f"#comment-{world['comment']}").get_by_label(t["your_reply"]).input_value() == answer
    _check(page, f"the answer shown again after the session expired ({lang})")
    page.locator(f"#comment-{world['comment']}").get_by_role("button", name=t["send_reply"]).click()
    assert _flash(page) == t["comment_waits"]
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Comment).where(
            Comment.text == answer, Comment.parent_id == world["comment"])).scalar_one() == 1

    page.goto(mine)
    page.locator(f"#comment-{own}").get_by_role("link", name=t["edit"]).click()
    page.get_by_role("heading", name=t["edit_comment"]).wait_for()
    edited = f"Bis 4 Uhr, nach einer Nacht {lang} {SCRIPT}"
    page.get_by_label(t["comment"]).fill(edited)
    expire_browser_session(app, page.context)
    page.get_by_role("button", name=t["save"]).click()
    page.locator(".flash-warning").wait_for()
    assert EXPIRED[lang] in page.locator(".flash-warning").inner_text()
    assert page.get_by_label(t["comment"]).input_value() == edited  # not the stored "Bis 3 Uhr"
    _check(page, f"the comment's edit shown again after the session expired ({lang})")
    with app.app_context():
        assert db.session.get(Comment, own).text == f"Bis 3 Uhr {lang} {SCRIPT}"  # nothing saved yet
    page.get_by_role("button", name=t["save"]).click()
    assert _flash(page) == t["changes"]
    with app.app_context():
        assert db.session.get(Comment, own).text == edited
