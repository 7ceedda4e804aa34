"""A city's whole journey against the production stack (nginx → gunicorn → database, Redis,
a loopback SMTP server): event, 40 applications confirmed from their mails, lottery with
verification, two declines replaced from the waiting list within the quotas, check-in,
three stands captured while the walls show the ideas, voting with tickets, publishing,
the council's dashboard and report, and the open-data API with the same totals.

Headless Chromium does what a person does with a page (and axe-core checks every page it
visits for WCAG 2.1 A/AA violations); plain HTTP clients do the bulk (39 of the 40
residents, most participants), posting the same forms with their CSRF tokens.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from datetime import datetime, timedelta
from http.cookiejar import CookieJar
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.support.clients import DEFAULT_PASSWORD
from tests.security.forms import find_forms
from tests.support import wait_until
from tests.support.browser import assert_no_axe_violations
from tests.support.prodstack import ROOT, ProductionStack, nginx_available
from tests.support.servers import RedisServer
from tests.support.smtp import find_links

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not nginx_available(), reason="nginx is not installed (scripts/install-test-deps.sh)"),
    pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed"),
]

BERLIN = ZoneInfo("Europe/Berlin")
#: Two criteria with quotas for 15 seats.
QUOTAS = {"Altersgruppe": [("unter 40", "jung", 5, 10), ("40 und älter", "alt", 5, 10)],
          "Stadtteil": [("Innenstadt", "innen", 4, 11), ("Außenbezirke", "aussen", 4, 11)]}


def local(delta: timedelta) -> str:
    return (datetime.now(BERLIN) + delta).strftime("%Y-%m-%dT%H:%M")


class Visitor:
    """A person with plain HTTP: cookies, and forms posted as the page shows them."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def open(self, path: str, data: dict | None = None, headers: dict | None = None):
        url = path if path.startswith("http") else self.base + path
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as exc:
            response = exc
        response.text = response.read().decode("utf-8", errors="replace")
        response.path = urllib.parse.urlsplit(response.url).path if hasattr(response, "url") else path
        return response

    def form(self, path: str, action_contains: str, **values):
        """Open ``path``, take the form whose action contains ``action_contains``, fill and send it."""
        page = self.open(path)
        assert page.status == 200, (path, page.status)
        forms = [f for f in find_forms(page.text, urllib.parse.urlsplit(path).path) if action_contains in f.action]
        assert forms, f"no form with {action_contains!r} on {path}: {[f.action for f in find_forms(page.text, path)]}"
        data = forms[0].filled()
        data.update({k: v if isinstance(v, list) else [v] for k, v in values.items()})
        response = self.open(forms[0].action, data)
        assert response.status < 400, (forms[0].action, response.status, response.text[:500])
        errors = re.findall(r'class="flash flash-error">([^<]*)', response.text)
        assert not errors, (forms[0].action, errors)
        return response

    def login(self, email: str, password: str = DEFAULT_PASSWORD):
        response = self.form("/login", "/login", email=email, password=password)
        assert "/login" not in response.path, response.text[:300]
        return self


def browser_login(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()


def visit(page, url: str, what: str) -> None:
    page.goto(url)
    assert_no_axe_violations(page, what)


@pytest.fixture
def stack(empty_database_url, smtp):
    with RedisServer() as redis, ProductionStack(empty_database_url, redis_url=redis.url, workers=2, env={
            "MAIL_SERVER": smtp.host, "MAIL_PORT": str(smtp.port), "IDEENMARKT_APPLY_RATE_LIMIT": "1000 per minute",
            "IDEENMARKT_LOGIN_RATE_LIMIT": "1000 per minute", "IDEENMARKT_PASSWORD_CHECK_BUDGET": "1000 per minute"}) as running:
        yield running


@pytest.fixture
def staff(stack):
    """The city's staff accounts, created as `flask users create` would."""
    from app import create_app
    from app.accounts import services as accounts
    from app.extensions import db
    from config import TestingConfig

    data = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=stack.env["DATABASE_URL"], INSTANCE_PATH=str(stack.instance))
    people = {"admin": ("admin@stadt.example", ["admin"]), "council": ("rat@stadt.example", ["council"]),
              **{f"moderator{i}": (f"moderation{i}@stadt.example", ["moderator"]) for i in range(3)}}
    with data.app_context():
        for name, (email, roles) in people.items():
            accounts.create_user(email, name.title(), DEFAULT_PASSWORD, roles)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {name: email for name, (email, _) in people.items()}


def mails_to(smtp, email: str) -> list:
    return [m for m in smtp.messages if email in m["To"]]


def wait_for_mail(smtp, email: str, subject_part: str, count: int = 1):
    def found():
        mails = [m for m in mails_to(smtp, email) if subject_part in m["Subject"]]
        return mails if len(mails) >= count else None

    return wait_until(found, timeout=120, message=f"no mail {subject_part!r} to {email}")[-1]


def test_a_city_runs_a_workshop_from_announcement_to_results(stack, staff, smtp, new_page):
    base = stack.url
    admin = Visitor(base).login(staff["admin"])
    admin_page = new_page()
    browser_login(admin_page, base, staff["admin"])

    # --- The admin creates the process, the event with 15 seats, two criteria with quotas, 3 stands.
    response = admin.form("/manage/processes/new", "/manage/processes/new", title="Digitale Stadt 2030",
                          description="Wie soll die Stadt digital werden?")
    process_id = int(re.search(r"/manage/processes/(\d+)", response.url).group(1))
    response = admin.form(f"/manage/processes/{process_id}/events/new", "/events/new",
                          title="Bürgerwerkstatt Digitale Stadt", seats="15", place="Rathaus, Bürgersaal",
                          starts_at=local(timedelta(days=30)), ends_at=local(timedelta(days=30, hours=3)),
                          applications_open_at=local(timedelta(minutes=-5)),
                          applications_close_at=local(timedelta(days=10)),
                          consent_text="Ich willige in die Verarbeitung meiner Angaben zur Auslosung ein.",
                          invitation_only=[])  # an open call: the box stays unticked (filled() ticks every box)
    event_id = int(re.search(r"/manage/events/(\d+)", response.url).group(1))
    for label, options in QUOTAS.items():
        fields = {"label": label}
        for n, (option_label, value, low, high) in enumerate(options):
            fields.update({f"options-{n}-label": option_label, f"options-{n}-value": value,
                           f"options-{n}-min_seats": str(low), f"options-{n}-max_seats": str(high)})
        admin.form(f"/manage/events/{event_id}/criteria/new", "/criteria/new", **fields)
    moderator_ids = {}
    for i, title in enumerate(["Online-Rathaus", "Digitale Schule", "Smarte Mobilität"]):
        page = admin.open(f"/manage/events/{event_id}/stands")
        boxes = re.findall(r'name="moderators"[^>]*value="(\d+)"[^>]*>\s*<label[^>]*>([^<]+)', page.text) or \
            re.findall(r'value="(\d+)"[^>]*name="moderators"', page.text)
        moderator_id = [b[0] if isinstance(b, tuple) else b for b in boxes][i]
        moderator_ids[i] = moderator_id
        admin.form(f"/manage/events/{event_id}/stands", "/stands", title=title, moderators=[moderator_id],
                   position=str(i))
    admin.form(f"/manage/events/{event_id}", "/status", action="open")
    visit(admin_page, f"{base}/manage/events/{event_id}", "staff event page")
    visit(admin_page, f"{base}/manage/events/{event_id}/stands", "staff stands page")

    # --- 40 residents apply (one in the browser, 39 by HTTP) and confirm through their mails.
    people = []
    for n in range(40):
        age, district = ("jung", "alt")[n % 2], ("innen", "aussen")[(n // 2) % 2]
        people.append({"name": f"Einwohnerin {n}", "email": f"einwohner{n}@example.org", "age": age,
                       "district": district})
    resident_page = new_page(phone=True)
    visit(resident_page, f"{base}/events/{event_id}", "public event page")
    visit(resident_page, f"{base}/events/{event_id}/apply", "application form")
    first = people[0]
    resident_page.get_by_label("Name").first.fill(first["name"])
    resident_page.get_by_label("E-Mail").first.fill(first["email"])
    resident_page.get_by_label("unter 40").check()
    resident_page.get_by_label("Innenstadt").check()
    resident_page.locator("input[name=consent]").check()
    resident_page.locator("form:has(input[name=email]) button[type=submit]").click()
    resident_page.wait_for_url(re.compile(r"/apply/sent$"))
    assert_no_axe_violations(resident_page, "application sent")
    option_ids = {}
    page = Visitor(base).open(f"/events/{event_id}/apply")
    apply_form = next(f for f in find_forms(page.text, f"/events/{event_id}/apply") if "email" in f.names)
    for field in apply_form.fields:
        if field.name.startswith("criterion_"):
            option_ids.setdefault(field.name, []).append(field.value)
    (age_field, age_values), (district_field, district_values) = sorted(option_ids.items())
    for person in people[1:]:
        Visitor(base).form(f"/events/{event_id}/apply", "/apply", name=person["name"], email=person["email"],
                           consent="y", **{age_field: age_values[person["age"] == "alt"],
                                           district_field: district_values[person["district"] == "aussen"]})
    for n, person in enumerate(people):
        mail = wait_for_mail(smtp, person["email"], "")
        confirm = next(link for link in find_links(mail) if "/confirm/" in link)
        if n == 0:
            resident_page.goto(confirm)
            assert_no_axe_violations(resident_page, "confirmation page")
            resident_page.locator("main form button[type=submit]").first.click()
            resident_page.wait_for_load_state()
            assert_no_axe_violations(resident_page, "application confirmed")
        else:
            Visitor(base).form(urllib.parse.urlsplit(confirm).path, "/confirm/")

    # --- The admin closes the applications and draws; anyone can verify the draw.
    admin.form(f"/manage/events/{event_id}", "/status", action="close")
    # The preview and the commitment are computed by the stack's job worker (app/jobs): the page
    # shows the job's progress until the result is stored, then its forms.
    lottery_path = f"/manage/events/{event_id}/lottery"

    def has_form(action: str) -> bool:
        return any(action in f.action for f in find_forms(admin.open(lottery_path).text, lottery_path))

    admin.form(lottery_path, "/lottery/preview")  # the page's form, sent by jobs.js in a browser
    wait_until(lambda: has_form("/lottery/commit"), timeout=120, message="the preview job did not finish")
    visit(admin_page, f"{base}{lottery_path}", "lottery page before the commitment")
    admin.form(lottery_path, "/lottery/commit", number_source="server")
    wait_until(lambda: has_form("/lottery/draw"), timeout=120, message="the commitment job did not finish")
    admin.form(lottery_path, "/lottery/draw", deadline=local(timedelta(days=5)))
    visit(admin_page, f"{base}/manage/events/{event_id}/lottery", "lottery page after the draw")
    visit(admin_page, f"{base}/events/{event_id}/lottery", "public lottery page")
    audit = Visitor(base).open(f"/events/{event_id}/lottery/audit.json")
    assert audit.status == 200
    audit_file = stack.run_dir / "audit.json"
    audit_file.write_text(audit.text)
    verified = subprocess.run([sys.executable, "-m", "flask", "lottery", "verify", str(audit_file)],
                              cwd=ROOT, env={**stack.env, "FLASK_APP": "wsgi"}, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # --- Two drawn people decline; their seats go to the waiting list within the quotas; the
    # others confirm (and get their tickets by mail).
    def with_subject(part: str) -> list[dict]:
        return [p for p in people if any(part in str(m["Subject"]) for m in mails_to(smtp, p["email"]))]

    selected = wait_until(lambda: len(with_subject("Sie wurden ausgelost")) == 15 and with_subject(
        "Sie wurden ausgelost"), timeout=120, message=lambda: f"{len(with_subject('Sie wurden ausgelost'))} drawn")

    def seat_link(person) -> str:
        return next(link for m in reversed(mails_to(smtp, person["email"])) for link in find_links(m)
                    if "/seat" in link)

    for person in selected[:2]:
        Visitor(base).form(urllib.parse.urlsplit(seat_link(person)).path, "/seat", answer="decline")
    replaced = wait_until(lambda: len(with_subject("Ein Platz ist für Sie frei")) == 2 and with_subject(
        "Ein Platz ist für Sie frei"), timeout=120, message="nobody from the waiting list got a seat")
    seated = selected[2:] + replaced
    ages = Counter(p["age"] for p in seated)
    districts = Counter(p["district"] for p in seated)
    for counts, (_, options) in zip((ages, districts), QUOTAS.items()):
        for _, value, low, high in options:
            assert low <= counts[value] <= high, (value, counts)
    for n, person in enumerate(seated):
        if n == 0:
            resident_page.goto(seat_link(person))
            assert_no_axe_violations(resident_page, "seat page")
        Visitor(base).form(urllib.parse.urlsplit(seat_link(person)).path, "/seat", answer="confirm")
    codes = {}
    for person in seated:
        ticket_mail = wait_until(
            lambda: next((m for m in mails_to(smtp, person["email"]) for link in find_links(m)
                          if "/vote/t/" in link), None), timeout=120, message=f"no ticket for {person['email']}")
        codes[person["email"]] = next(link for link in find_links(ticket_mail) if "/vote/t/" in link)

    # --- The day of the workshop has come (an event is marked held only once it has begun):
    # check-in at the door (one in the browser), the event is held.
    engine = sa.create_engine(stack.env["DATABASE_URL"])
    with engine.begin() as connection:
        now = datetime.now(ZoneInfo("UTC")).replace(tzinfo=None, microsecond=0)
        connection.execute(sa.text("UPDATE event SET starts_at = :start, ends_at = :end WHERE id = :id"),
                           {"start": now - timedelta(minutes=10), "end": now + timedelta(hours=3), "id": event_id})
    engine.dispose()
    admin.form(f"/manage/events/{event_id}", "/status", action="mark_held")
    for n, person in enumerate(seated):
        code = codes[person["email"]].rstrip("/").rsplit("/", 1)[-1]
        if n == 0:
            visit(admin_page, f"{base}/manage/events/{event_id}/checkin", "check-in page")
            admin_page.locator("input[name=code]").fill(code)
            admin_page.locator("input[name=code]").press("Enter")
            admin_page.wait_for_load_state()
            assert_no_axe_violations(admin_page, "check-in done")
        else:
            admin.form(f"/manage/events/{event_id}/checkin", "/checkin", code=code)

    # --- Three moderators capture ideas at their stands while the walls show them.
    wall_page = new_page()
    event_page = admin.open(f"/manage/events/{event_id}/stands")
    wall_url = re.search(r'(/wall/[A-Za-z0-9_-]+)"', event_page.text) or \
        re.search(r'(/wall/[A-Za-z0-9_-]+)', admin.open("/ideas").text)
    visit(wall_page, base + wall_url.group(1), "projector wall")
    stand_ids = [int(s) for s in dict.fromkeys(re.findall(r"/manage/stands/(\d+)", event_page.text))]
    assert len(stand_ids) == 3
    ideas_by_stand = {}
    for i, stand_id in enumerate(stand_ids):
        moderator = Visitor(base).login(staff[f"moderator{i}"])
        capture = moderator.open(f"/stands/{stand_id}/capture")
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', capture.text).group(1)
        texts = [f"Idee {j} am Stand {i}: {topic} #stand{i}" for j, topic in
                 enumerate(["Termine online buchen", "WLAN in Schulen", "Carsharing-Karte"][:3])]
        if i == 0:
            mod_page = new_page()
            browser_login(mod_page, base, staff["moderator0"])
            visit(mod_page, f"{base}/stands/{stand_id}/capture", "capture page")
            for text in texts:
                field = mod_page.locator("input[name=text]")
                field.fill(text)
                field.press("Enter")
                wait_until(lambda: text.split(":")[0] in mod_page.content(), timeout=10)
        else:
            for j, text in enumerate(texts):
                request = urllib.request.Request(base + f"/stands/{stand_id}/ideas.json", method="POST",
                                                 data=json.dumps({"text": text, "client_id": str(uuid.uuid4())}).encode(),
                                                 headers={"Content-Type": "application/json",
                                                          "Accept": "application/json", "X-CSRFToken": token})
                response = moderator.opener.open(request, timeout=30)
                assert response.status == 201
        ideas_by_stand[stand_id] = texts
        for text in texts:
            wait_until(lambda: text.split(" #")[0] in wall_page.content(), timeout=15,
                       message=f"the wall does not show {text!r}")
    assert_no_axe_violations(wall_page, "projector wall with ideas")

    # --- Participants vote with their tickets (one on a phone), the admin closes and publishes.
    admin.form(f"/manage/events/{event_id}/voting", "/voting/open")
    dots_given = 0
    for n, person in enumerate(seated):
        if n == 0:
            phone = new_page(phone=True)
            phone.goto(codes[person["email"]])
            assert_no_axe_violations(phone, "ballot")
            phone.locator("form[action$='/vote/dots']:has(input[name=op][value=add]) button[type=submit]:enabled").first.click()
            phone.wait_for_load_state()
            assert_no_axe_violations(phone, "ballot after a dot")
            dots_given += 1
            continue
        voter = Visitor(base)
        ballot = voter.open(codes[person["email"]])
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', ballot.text).group(1)
        ideas = re.findall(r'name="idea_id" value="(\d+)"', ballot.text)
        for k in range(3):
            response = voter.open(f"/events/{event_id}/vote/dots", {"csrf_token": token, "op": "add",
                                                                    "idea_id": ideas[(n + k) % len(ideas)]},
                                  headers={"Accept": "application/json"})
            assert response.status == 200, response.text[:300]
            dots_given += 1
    admin.form(f"/manage/events/{event_id}/voting", "/voting/close")
    admin.form(f"/manage/events/{event_id}", "/status", action="publish")
    visit(admin_page, f"{base}/events/{event_id}/results", "public results")

    # --- The council opens the dashboard and downloads the report.
    council_page = new_page()
    browser_login(council_page, base, staff["council"])
    visit(council_page, f"{base}/manage/results", "results overview")
    visit(council_page, f"{base}/manage/results/processes/{process_id}", "council dashboard")
    visit(council_page, f"{base}/manage/results/events/{event_id}", "event dashboard")
    # The stack's job worker makes the report; the job's page updates itself and then offers it.
    council_page.locator(f"button[formaction$='/processes/{process_id}/report.pdf']").first.click()
    council_page.wait_for_url("**/manage/jobs/*")
    council_page.locator("#job-file").wait_for(timeout=120_000)
    with council_page.expect_download() as download:
        council_page.locator("#job-file").click()
    assert download.value.path().read_bytes()[:5] == b"%PDF-"

    # --- The open-data API gives the same totals.
    api = json.loads(Visitor(base).open(f"/api/v1/events/{event_id}/results").text)
    assert api["ideas"] == sum(len(t) for t in ideas_by_stand.values())
    assert api["dots"]["total"] == dots_given
    assert sum(s["dots"]["total"] for s in api["stands"]) == dots_given
    event_api = json.loads(Visitor(base).open(f"/api/v1/events/{event_id}").text)
    assert event_api["status"] == "published" and event_api["seats"] == 15
