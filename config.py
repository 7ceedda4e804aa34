"""Configuration classes.

Precedence (lowest to highest): the class defaults below, ``instance/config.py``,
then environment variables (``SECRET_KEY``, ``DATABASE_URL``, ``MAIL_*``,
``REDIS_URL``, ``BABEL_DEFAULT_LOCALE``, ..., and ``IDEENMARKT_<KEY>`` for every setting
here). ``create_app`` applies them in that order, see :func:`app.apply_overrides`.
Every setting's default is declared here, the feature packages' too: a default set
later (``app.config.setdefault`` in a feature) would not see its override.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'ideenmarkt.sqlite'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Sessions: HttpOnly and SameSite=Lax always, Secure in production.
    SESSION_COOKIE_NAME = "ideenmarkt_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    #: The form token is valid as long as the session (it is bound to it): a form left open for
    #: hours is not refused when it is finally sent, so no typed text is lost to an expiry.
    #: When the session itself has expired (PERMANENT_SESSION_LIFETIME after it was last written),
    #: the refused form comes back filled in (app/core/formreplay.py).
    WTF_CSRF_TIME_LIMIT = None
    #: Flask-WTF must not skip the check for any request method that changes state.
    WTF_CSRF_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
    #: Flask-WTF's extra check on HTTPS wants a Referer from the same host, but every page
    #: sends ``Referrer-Policy: no-referrer`` (private links must never leak), so browsers send
    #: none and every form would fail with 400 behind TLS. The token (bound to the session)
    #: and the SameSite=Lax session cookie protect the forms.
    WTF_CSRF_SSL_STRICT = False

    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ["de", "en"]
    #: The city running the site; staff passwords must not contain its words (app/accounts/passwords.py).
    CITY_NAME = "Esslingen am Neckar"

    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Ideenmarkt <noreply@ideenmarkt.localhost>"
    MAIL_TIMEOUT = 10
    #: The admin page "Mail outbox" shows each mail's text, links and attachments (and lists
    #: sent mail too). Off except in development: mails carry private links. Production may
    #: switch it on explicitly (IDEENMARKT_OUTBOX_SHOWS_MAIL=1), e.g. on a trial site.
    OUTBOX_SHOWS_MAIL = False

    #: Shared storage for rate limits and live updates across worker processes.
    REDIS_URL: str | None = None
    #: The nchan publisher of this machine's nginx (``http://127.0.0.1:8081/_live/publish``,
    #: set by scripts/serve-prod.sh): nginx holds the walls' live streams and the app publishes
    #: each change there. Unset (development, ``make run``): the app streams itself.
    LIVE_PUBLISH_URL: str | None = None
    #: Seconds one publish may take before it is given up (logged; pages catch up from the
    #: database). Publishing runs in a background thread per worker (app/core/live.py), never in
    #: the request, so a hanging nchan costs no request any time.
    LIVE_PUBLISH_TIMEOUT = 0.5
    #: Updates waiting for that thread at most; beyond, an update is dropped (logged; pages catch up).
    LIVE_PUBLISH_QUEUE = 1000
    #: Messages nchan keeps per channel, and for how long, for reconnects with Last-Event-ID;
    #: older ones come from the idea_change feed.
    LIVE_BUFFER_LENGTH = 200
    LIVE_BUFFER_SECONDS = 600
    #: Seconds between a wall's checks of the feed while its nchan stream is open: a change the
    #: stream did not bring (Redis down, a failed publish) makes the wall poll the feed instead.
    LIVE_CATCH_UP_SECONDS = 30.0
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    #: Wrong passwords per account (by the email typed, whether the account exists or not),
    #: from any number of addresses; a correct password is not counted.
    LOGIN_ACCOUNT_RATE_LIMIT = "5 per minute;20 per hour"
    #: Wrong current passwords on the password-change form, per account.
    PASSWORD_CHANGE_RATE_LIMIT = "5 per 15 minutes"
    #: Password verifications (Argon2, the costly part of a login) of the whole site per window,
    #: all accounts and addresses together; beyond it the login answers 429, the rest of the
    #: site is not affected.
    PASSWORD_CHECK_BUDGET = "10 per 10 seconds;60 per minute"
    # Sign-in through the city's directory (app/accounts/external.py, app/accounts/ldap.py).
    #: Staff may sign in with a password stored here. Off: only the admins in BREAK_GLASS_ADMINS
    #: may (everyone else signs in through LDAP or OpenID Connect; their open sessions end).
    LOCAL_LOGIN_ENABLED = True
    #: Emails of local admin accounts that keep password sign-in when LOCAL_LOGIN_ENABLED is off
    #: (a list, or a string separated by commas/spaces), for when the directory is down.
    BREAK_GLASS_ADMINS: list[str] = []
    #: Seconds after which a directory or OIDC account's status and roles are checked again at
    #: its next request; who lost access there loses it here, and every session ends.
    DIRECTORY_REVALIDATE_SECONDS = 300
    #: LDAP / Active Directory sign-in (app/accounts/ldap.py, README "LDAP / Active Directory").
    #: Server URLs tried in order (failover): ``ldaps://…`` or ``ldap://…`` (then StartTLS, always).
    #: Empty: no LDAP sign-in.
    LDAP_SERVERS: list[str] = []
    #: The CA certificate(s) (PEM file) the servers' certificates are checked against; empty: the
    #: system's trusted CAs.
    LDAP_CA_CERT_FILE = ""
    LDAP_CONNECT_TIMEOUT = 5
    LDAP_RECEIVE_TIMEOUT = 10
    #: The search account, and where people are searched.
    LDAP_BIND_DN = ""
    LDAP_BIND_PASSWORD = ""
    LDAP_BASE_DN = ""
    #: ``{login}`` is replaced by the typed user name (escaped).
    LDAP_USER_FILTER = "(&(objectClass=inetOrgPerson)(|(uid={login})(mail={login})))"
    #: Who counts as disabled (refused, sessions end); AD: "(userAccountControl:1.2.840.113556.1.4.803:=2)".
    LDAP_DISABLED_FILTER = ""
    #: The stable id (``entryUUID``; AD: ``objectGUID``), the email and the display name.
    LDAP_ID_ATTRIBUTE = "entryUUID"
    LDAP_EMAIL_ATTRIBUTE = "mail"
    LDAP_NAME_ATTRIBUTE = "displayName"
    #: Group DN → role or list of roles (admin, moderator, council); JSON text from the environment.
    LDAP_GROUP_ROLES: dict = {}
    #: "ad" (the server follows nesting: LDAP_MATCHING_RULE_IN_CHAIN), "walk" (follow the member
    #: attribute group by group, e.g. OpenLDAP) or "none" (direct membership only).
    LDAP_NESTED_GROUPS = "walk"
    LDAP_GROUP_BASE_DN = ""
    LDAP_GROUP_FILTER = "(objectClass=groupOfNames)"
    LDAP_GROUP_MEMBER_ATTRIBUTE = "member"
    #: Open-data API requests per client (app/api).
    API_RATE_LIMIT = "300 per minute"
    # Staff sign-in through an OpenID Connect provider (app/oidc; README "OpenID Connect").
    #: The provider's issuer URL, e.g. https://login.stadt.example/realms/stadt (Keycloak); its
    #: discovery document is read from ISSUER/.well-known/openid-configuration unless
    #: OIDC_DISCOVERY_URL says otherwise. Unset: no OpenID Connect sign-in.
    OIDC_ISSUER: str | None = None
    OIDC_DISCOVERY_URL: str | None = None
    OIDC_CLIENT_ID: str | None = None
    OIDC_CLIENT_SECRET: str | None = None
    OIDC_SCOPES = "openid email profile"
    #: The claim of the ID token listing the person's groups or roles: a top-level claim
    #: ("groups", "roles") or a dotted path ("realm_access.roles").
    OIDC_ROLES_CLAIM = "groups"
    #: Provider group or role → Ideenmarkt role (admin, moderator, council): a dict, or a string
    #: "group=role, group2=role2". Groups not listed grant nothing; nobody is admin by default.
    OIDC_ROLE_MAP: dict | str = {}
    #: Shown on the login button: "Mit <name> anmelden".
    OIDC_PROVIDER_NAME = "Single Sign-on"
    #: Seconds to wait for the provider (discovery, token, keys).
    OIDC_TIMEOUT = 10

    #: The public address used in mails, QR codes and calendar files, e.g.
    #: ``https://beteiligung.example``. Production requires it; unset (development), links
    #: follow the address the site is served on (app/core/urls.py).
    BASE_URL: str | None = None
    #: Addresses or networks of the reverse proxies in front of the app (a list, or a string
    #: separated by commas/spaces, e.g. "127.0.0.1,::1"): only their X-Forwarded-For/-Proto are
    #: believed (app/core/proxies.py). Empty: the site is reached directly, no header is believed.
    TRUSTED_PROXIES: list[str] = []
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024
    #: JSON request bodies (the capture page's API): at most this many bytes and levels of
    #: nesting; beyond them a 400 that says so (app/core/jsonbody.py).
    JSON_MAX_BYTES = 256 * 1024
    JSON_MAX_DEPTH = 20

    # Accessibility (app/accessibility): the statement's contact and the sign-language videos.
    #: The language content is written in (titles, stands, ideas): marked with ``lang`` on pages
    #: in another language (WCAG 3.1.2, ``content_lang()`` in templates).
    CONTENT_LANGUAGE = "de"
    #: The dedicated contact for barriers named in the accessibility statement.
    ACCESSIBILITY_CONTACT_NAME = "Ansprechstelle für digitale Barrierefreiheit"
    ACCESSIBILITY_CONTACT_EMAIL = "barrierefreiheit@example.org"
    ACCESSIBILITY_CONTACT_PHONE = ""
    #: Date of the last review of the statement (ISO); empty: the statement's date.
    ACCESSIBILITY_REVIEWED_DATE = ""
    #: Where uploaded files (sign-language videos) are kept; empty: ``instance/media``. With
    #: several app machines, a directory all of them share (NFS) or the same synchronised copy.
    MEDIA_DIR = ""
    #: Largest sign-language video accepted (bytes); an upload also stays within MAX_CONTENT_LENGTH.
    SIGN_LANGUAGE_VIDEO_MAX_BYTES = 55 * 1024 * 1024

    # Applications and the mail outbox (events feature, app/core/mail.py).
    #: Application form submissions per client.
    APPLY_RATE_LIMIT = "10 per hour"
    #: Hours a confirmation link in an application mail stays valid.
    APPLICATION_CONFIRM_HOURS = 72
    #: Applying again with a known email sends at most one reminder mail within this many hours.
    APPLICATION_REMINDER_HOURS = 24
    # Online participation (app/participation, issue 18).
    #: Sign-up form submissions per client.
    PARTICIPATION_SIGNUP_RATE_LIMIT = "10 per hour"
    #: Hours a participation's confirmation link stays valid.
    PARTICIPATION_CONFIRM_HOURS = 72
    #: Mails to one participant caused by signing up again with the same address.
    PARTICIPATION_REMINDER_RATE_LIMIT = "1 per 10 minutes;3 per day"
    #: Ideas (new ones and changes) per participation link.
    PARTICIPATION_IDEA_RATE_LIMIT = "10 per hour;30 per day"
    #: Supports given or withdrawn per participation link.
    PARTICIPATION_SUPPORT_RATE_LIMIT = "60 per hour;300 per day"
    #: Comments (new ones and changes) per participation link.
    PARTICIPATION_COMMENT_RATE_LIMIT = "20 per hour;60 per day"
    #: Ideas followed or unfollowed (by the button) per participation link.
    PARTICIPATION_FOLLOW_RATE_LIMIT = "60 per hour;300 per day"
    #: Reports of ideas and comments per participation link, and per address without a link.
    PARTICIPATION_REPORT_RATE_LIMIT = "10 per hour;30 per day"
    #: Applications per page in the staff list.
    APPLICATIONS_PER_PAGE = 50
    #: Deliver queued mail right after the response of the request that queued it.
    MAIL_SEND_AFTER_REQUEST = True
    #: Seconds between two opportunistic outbox checks per worker (after any request).
    MAIL_RETRY_INTERVAL = 60
    #: Back-off after a failed delivery: base * 2^(attempts-1) seconds, at most the maximum.
    MAIL_RETRY_BASE_SECONDS = 60
    MAIL_RETRY_MAX_SECONDS = 6 * 3600
    MAIL_BATCH_SIZE = 50

    # Background jobs (app/jobs): Huey on Redis when REDIS_URL is set, else on a SQLite file.
    #: The SQLite file of the queue (one machine); empty: ``instance/jobs.sqlite``.
    JOBS_SQLITE_FILE = ""
    #: Run each job inside the request that asks for it (tests; never with several users).
    JOBS_IMMEDIATE = False
    #: Threads per job worker (``flask jobs worker``).
    JOBS_WORKERS = 2
    #: A running job whose worker has not reported for this long is queued again (other hosts).
    JOBS_STALE_SECONDS = 120
    #: Seconds between a running job's heartbeats.
    JOBS_HEARTBEAT_SECONDS = 15.0
    #: Runs of one job (the first and one retry after a worker died); then it fails.
    JOBS_MAX_ATTEMPTS = 2
    #: Finished jobs (their rows and files: exports, reports) are deleted this many days after
    #: they finished, by ``flask privacy purge``; queued and running jobs are never deleted.
    JOBS_RETENTION_DAYS = 14

    # Metrics (app/metrics, ``GET /metrics``): neither set → 404. With a token, scrapers send
    # ``Authorization: Bearer <token>``; with networks (e.g. "10.0.0.0/8, 127.0.0.1") only clients
    # there (their address as TRUSTED_PROXIES resolves it) are answered; with both, both apply.
    METRICS_TOKEN = ""
    METRICS_NETWORKS = ""
    #: Error reports to a Sentry-compatible service (Sentry, GlitchTip; app/metrics/errors.py):
    #: empty → none. Nothing personal is sent (no body, cookies, query, user; route patterns).
    SENTRY_DSN = ""
    SENTRY_ENVIRONMENT = "production"
    SENTRY_RELEASE = ""

    #: Level of the JSON log lines on stderr (DEBUG, INFO, WARNING, ERROR); env LOG_LEVEL.
    LOG_LEVEL = "INFO"

    # The features' settings. Every default lives here, so ``IDEENMARKT_<KEY>`` overrides each
    # of them (app.apply_overrides types the value like its default).

    #: Live walls (app/ideas/live.py): seconds a stream lasts before the browser reconnects
    #: (below gunicorn's timeout), seconds between polls of the feed without Redis, seconds
    #: between heartbeats, seconds each page of a long wall is shown.
    IDEAS_STREAM_SECONDS = 25.0
    IDEAS_STREAM_POLL = 0.5
    IDEAS_STREAM_HEARTBEAT = 10.0
    IDEAS_WALL_PAGE_SECONDS = 12.0
    #: Panels in the lottery's published table (a public number 1..size picks one); 0: chosen to fit
    #: the pool (1,000, 2,000, 5,000 or 10,000, so that everyone with a chance is in a row).
    LOTTERY_TABLE_SIZE = 0
    #: A drawn lottery is drawn again only when a second admin approves the first one's request.
    LOTTERY_REDRAW_NEEDS_SECOND_ADMIN = True
    #: Hours a person moved up from the waiting list has to confirm the seat.
    LOTTERY_REPLACEMENT_REPLY_HOURS = 72
    #: Groups of applicants with the same answers smaller than this are pointed out on the public
    #: lottery page, which explains why their answers are published all the same (to check the quotas).
    LOTTERY_SMALL_GROUP = 5
    #: Seconds the leximin computation of a preview or commitment may take; then it stops with the
    #: best distribution over the panels found so far, marked as such on the lottery page and in
    #: the audit (issue 21). 0: no limit.
    LOTTERY_TIME_LIMIT = 600
    #: Wrong ticket codes per client (only failures count): guessing codes is slow.
    VOTING_CODE_RATE_LIMIT = "20 per minute;100 per hour"
    #: Largest measures CSV file accepted (bytes).
    MEASURES_IMPORT_MAX_BYTES = 2 * 1024 * 1024
    #: Entries per page of the audit log.
    AUDIT_PER_PAGE = 50
    #: Unconfirmed applications (email never confirmed) are deleted after this many days.
    PRIVACY_UNCONFIRMED_DAYS = 7
    #: Sent mails (the outbox's history) are deleted after this many days.
    PRIVACY_SENT_MAIL_DAYS = 90
    #: The operator named on the privacy page and in the accessibility statement.
    PRIVACY_OPERATOR_NAME = "Stadt Esslingen am Neckar"
    PRIVACY_OPERATOR_ADDRESS = "Rathausplatz 2, 73728 Esslingen am Neckar"
    PRIVACY_CONTACT_EMAIL = "datenschutz@example.org"
    PRIVACY_OFFICER = "Die/der behördliche Datenschutzbeauftragte, datenschutz@example.org"
    #: The supervisory authority residents may complain to.
    PRIVACY_AUTHORITY = "Der Landesbeauftragte für den Datenschutz und die Informationsfreiheit Baden-Württemberg"
    #: The enforcement body of the BITV 2.0 (Schlichtungsstelle / Ombudsstelle).
    ACCESSIBILITY_ENFORCEMENT = ("Ombudsstelle für barrierefreie Informationstechnik, Landes-Behindertenbeauftragte "
                                 "Baden-Württemberg")
    #: Date of the accessibility statement (ISO).
    ACCESSIBILITY_STATEMENT_DATE = "2026-12-01"
    #: Accessibility feedback reports per client.
    FEEDBACK_RATE_LIMIT = "5 per minute;20 per day"
    #: Invitations drawn from the residents' register (app/invitations, issue 17).
    #: Key of the invitation codes' hash and derivation; empty: derived from SECRET_KEY (changing
    #: either voids the codes of letters already sent).
    INVITATION_CODE_KEY = ""
    #: Wrong invitation codes per client (only failures count), like ticket codes.
    INVITATIONS_CODE_RATE_LIMIT = "20 per minute;100 per hour"
    #: The legal basis on which the registration office hands the register extract to the city, as the
    #: privacy page and the reply form name it (the law's name, shown as written, marked German):
    #: § 46 BMG (group information) or the state's rule, e.g. "§ 5 Gesetz über die dialogische
    #: Bürgerbeteiligung Baden-Württemberg (DBG)".
    PRIVACY_REGISTER_LEGAL_BASIS = "§ 46 Bundesmeldegesetz (BMG, Gruppenauskunft)"
    #: Optional further text of the operator on the register data (e.g. the council's decision that
    #: ordered the citizens' council), shown as written on the privacy page; empty: none.
    PRIVACY_REGISTER_NOTE = ""
    #: Days after the answer deadline that the register data of invitees who did not answer is kept.
    INVITATIONS_UNANSWERED_KEEP_DAYS = 30
    #: Largest register extract accepted (bytes); an upload also stays within MAX_CONTENT_LENGTH.
    INVITATIONS_IMPORT_MAX_BYTES = 50 * 1024 * 1024
    #: Residents of the demo's generated register extract (``flask demo load``, app/invitations/demo.py).
    INVITATIONS_DEMO_RESIDENTS = 20_000
    #: Files with more rows than this are imported by a job worker (with progress), not in the request.
    INVITATIONS_IMPORT_INLINE_ROWS = 2000


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False  # the Werkzeug debugger is opt-in via FLASK_DEBUG=1
    #: No SMTP server: mail is kept in the outbox and read on the admin page "Mail outbox"
    #: (set MAIL_SERVER to send for real).
    MAIL_SERVER = ""
    OUTBOX_SHOWS_MAIL = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SECRET_KEY = "testing-only-secret-key"  # noqa: S105 - never used outside tests
    BASE_URL = "http://127.0.0.1:5000"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 2  # nothing listens here; tests that send mail point it at aiosmtpd
    MAIL_TIMEOUT = 2
    # Argon2 at full cost would make every login in the suite slow.
    PASSWORD_HASH_FAST = True
    # The demo fixture loads in many tests: a smaller register (the 20,000 take seconds).
    INVITATIONS_DEMO_RESIDENTS = 2_000
    # Suites log in hundreds of times; the rate-limit tests set their own, low limits.
    LOGIN_RATE_LIMIT = "10000 per minute"
    LOGIN_ACCOUNT_RATE_LIMIT = "10000 per minute"
    PASSWORD_CHANGE_RATE_LIMIT = "10000 per minute"
    PASSWORD_CHECK_BUDGET = "100000 per minute"
    APPLY_RATE_LIMIT = "10000 per minute"
    PARTICIPATION_SIGNUP_RATE_LIMIT = "10000 per minute"
    PARTICIPATION_IDEA_RATE_LIMIT = "10000 per minute"
    PARTICIPATION_SUPPORT_RATE_LIMIT = "10000 per minute"
    PARTICIPATION_COMMENT_RATE_LIMIT = "10000 per minute"
    PARTICIPATION_FOLLOW_RATE_LIMIT = "10000 per minute"
    PARTICIPATION_REPORT_RATE_LIMIT = "10000 per minute"
    API_RATE_LIMIT = "100000 per minute"
    #: Flask-Mail would swallow mail when TESTING is set; tests send to a real loopback SMTP server.
    MAIL_SUPPRESS_SEND = False
    #: Jobs run inside the request; tests of the queue itself start a real worker (tests/jobs).
    JOBS_IMMEDIATE = True


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by ``IDEENMARKT_ENV`` (default: development)."""
    name = os.environ.get("IDEENMARKT_ENV", "development").lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"IDEENMARKT_ENV={name!r} is unknown; use one of {', '.join(CONFIGS)}"
        ) from None
