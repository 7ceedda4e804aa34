"""Running the site for real: database backup and restore, static files and the nginx config.

``flask db backup PATH`` / ``flask db restore PATH``
    PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --single-transaction``
    (binaries from ``$PG_BINDIR``, ``/usr/lib/postgresql/15/bin`` or the ``PATH``).
    SQLite: the sqlite3 online backup API, in both directions (consistent while the site runs).
``flask deploy collect-static DIR``
    Copies every feature's ``static`` folder to ``DIR/<its URL path>`` for nginx.
``flask deploy nginx-config``
    Prints an nginx configuration: static files from the collected folder, everything else
    proxied to gunicorn, no buffering for the live walls' event streams. With
    ``--live-publish-listen`` nginx itself holds the live streams (the pub/sub module nchan,
    Debian package ``libnginx-mod-nchan``): see :data:`LIVE_TEMPLATE` and app/ideas/live.py.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import ngettext
from flask_migrate.cli import db as db_cli
from sqlalchemy.engine import make_url

from app.extensions import db

PG_BINDIRS = ("/usr/lib/postgresql/15/bin",)


class BackupError(click.ClickException):
    pass


# ------------------------------------------------------------------ backup and restore

def _pg_tool(name: str) -> str:
    for directory in filter(None, (os.environ.get("PG_BINDIR"), *PG_BINDIRS)):
        candidate = Path(directory) / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client (or set PG_BINDIR).")
    return found


def _pg_connection(uri: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries the password."""
    url = make_url(uri)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path(uri: str) -> Path:
    database = make_url(uri).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()}")


def backup_database(target: Path) -> None:
    """Write a consistent copy of the database to ``target`` (overwritten)."""
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    target.parent.mkdir(parents=True, exist_ok=True)
    if uri.startswith("postgresql"):
        url, env = _pg_connection(uri)
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={target}", f"--dbname={url}"], env)
    elif uri.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(uri))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        raise BackupError(f"Backups are supported for PostgreSQL and SQLite, not {make_url(uri).drivername}.")


def restore_database(source: Path) -> None:
    """Replace the whole database by the backup in ``source``."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold a lock or a stale page
    if uri.startswith("postgresql"):
        url, env = _pg_connection(uri)
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", f"--dbname={url}", str(source)], env)
    elif uri.startswith("sqlite"):
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(_sqlite_path(uri), timeout=30)
        try:
            backup.execute("PRAGMA quick_check").fetchone()
            backup.backup(live)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a usable SQLite backup: {exc}") from None
        finally:
            live.close()
            backup.close()
    else:
        raise BackupError(f"Restores are supported for PostgreSQL and SQLite, not {make_url(uri).drivername}.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Back up the database to PATH (pg_dump custom format, or a SQLite file)."""
    backup_database(path)
    click.echo(f"Backup written to {path} ({path.stat().st_size} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the whole database by the backup in PATH (stop the site first)."""
    if not yes:
        click.confirm(f"Replace ALL data of the database by {path}?", abort=True)
    restore_database(path)
    click.echo(f"Database restored from {path}. Run `flask db upgrade` if the backup is older than the code.")


# ------------------------------------------------------------------ static files and nginx

def static_folders(app: Flask) -> dict[str, Path]:
    """URL path (``/static/core``) → folder, for every blueprint that serves static files."""
    folders = {}
    for blueprint in app.blueprints.values():
        if blueprint.has_static_folder and blueprint.static_url_path and Path(blueprint.static_folder).is_dir():
            folders[blueprint.static_url_path.rstrip("/")] = Path(blueprint.static_folder)
    return dict(sorted(folders.items()))


def collect_static(app: Flask, target: Path) -> int:
    """Copy every static folder to ``target/<URL path>``; return the number of files."""
    count = 0
    for url_path, folder in static_folders(app).items():
        destination = target / url_path.lstrip("/")
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(folder, destination)
        count += sum(1 for p in destination.rglob("*") if p.is_file())
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return count


NGINX_TEMPLATE = """\
# Generated by `flask deploy nginx-config`: regenerate after adding a feature.
# The app believes X-Forwarded-For/-Proto only from the addresses in TRUSTED_PROXIES
# (scripts/serve-prod.sh: 127.0.0.1,::1, this nginx; give gunicorn the same list as
# --forwarded-allow-ips). A proxy in front of this nginx must be added to both.
{main}
events {{ worker_connections {worker_connections}; }}

http {{
    include {mime_types};
    default_type application/octet-stream;
    sendfile on;
    server_tokens off;
    client_max_body_size {max_body};
{http_extra}
    upstream ideenmarkt {{
        server {upstream};
        keepalive 32;
    }}
{live_http}
    server {{
        listen {listen};
        server_name _;

        # The app answers GET, HEAD, POST and OPTIONS only: anything else (TRACE, which nginx
        # refuses before any location, PUT, PROPFIND, ...) is a 405 that names what is allowed.
        if ($request_method !~ ^(GET|HEAD|POST|OPTIONS)$) {{
            return 405;
        }}
        error_page 405 = @method_not_allowed;
        location @method_not_allowed {{
            add_header Allow "GET, HEAD, POST, OPTIONS" always;
{security_headers}
            return 405;
        }}
        location @static_method_not_allowed {{
            add_header Allow "GET, HEAD" always;
{security_headers}
            return 405;
        }}

{static_locations}{live_locations}
        # Live walls: server-sent events pass through at once, held open up to an hour.
        location /wall/ {{
            proxy_pass http://ideenmarkt;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
{proxy_headers}
        }}

        location / {{
            proxy_pass http://ideenmarkt;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 120s;
{proxy_headers}
        }}

        # gunicorn down or restarting: a friendly page, not nginx's own.
        error_page 502 503 504 /_unavailable.html;
        location = /_unavailable.html {{
            root {static_root};
            internal;
{security_headers}
        }}
    }}
}}
"""

#: Debian's libnginx-mod-nchan installs the module here.
NCHAN_MODULE = "/usr/lib/nginx/modules/ngx_nchan_module.so"

#: Live updates held by nginx (nchan). Browsers subscribe by EventSource to
#: ``/live/<kind>/<id>/<wall secret>``: ``wall`` (an event's wall, channel per event),
#: ``stand`` (one stand's wall) and ``event`` (reserved); ``/live/<kind>/<id>`` for channels
#: authorised by the session (``capture``, ``door``, ``results``). nchan asks the app once
#: per new subscription (``nchan_authorize_request``, app route ``/live/authorize/...``): a
#: wrong secret gets 403 and nothing is held by the app, before or after. The app publishes
#: each change with one POST to the publisher (app/core/live.py; a changed idea to
#: ``idea/<event>/<stand>``, delivered to three channels), which listens on a loopback address of its own
#: (``live_publish_listen``), never on the public server. With ``REDIS_URL`` the channels and
#: their message buffer live in Redis, so several nginx machines share them.
LIVE_HTTP = """\
    nchan_message_buffer_length {buffer_length};
    nchan_message_timeout {buffer_timeout};
{redis}
    # The publisher: only the app (on this machine) reaches it.
    server {{
        listen {publish_listen};
        server_name _;
        access_log off;
        location ~ "^/_live/publish/(?<live_kind>wall|stand|event|capture|door|results)/(?<live_id>[0-9]{{1,18}})$" {{
            allow 127.0.0.1;
            allow ::1;
            deny all;
            nchan_publisher http;
            nchan_channel_id "$live_kind-$live_id";
{use_redis}
        }}
        # One changed idea, published once: nchan delivers it to the event's wall, the
        # stand's wall and the moderators' capture list of the stand.
        location ~ "^/_live/publish/idea/(?<live_event>[0-9]{{1,18}})/(?<live_stand>[0-9]{{1,18}})$" {{
            allow 127.0.0.1;
            allow ::1;
            deny all;
            nchan_publisher http;
            nchan_channel_id "wall-$live_event" "stand-$live_stand" "capture-$live_stand";
{use_redis}
        }}
        # nchan's counters (subscribers, channels), read by the app's /metrics.
        location = /_live/status {{
            allow 127.0.0.1;
            allow ::1;
            deny all;
            nchan_stub_status;
        }}
        location / {{
            return 404;
        }}
    }}
"""

LIVE_LOCATIONS = """\
        # Live updates, held by nginx (nchan): one authorisation request to the app per new
        # subscription, then nginx alone holds the connection.
        location ~ "^/live/(?<live_kind>wall|stand|event)/(?<live_id>[0-9]{{1,18}})/(?<live_secret>[A-Za-z0-9_-]{{1,64}})$" {{
            nchan_subscriber eventsource;
            nchan_channel_id "$live_kind-$live_id";
            nchan_authorize_request /_live_authorize;
            nchan_subscriber_first_message newest;
            nchan_eventsource_ping_interval 20;
            nchan_subscriber_timeout 0;
{use_redis}
            add_header Cache-Control no-store always;
            add_header X-Robots-Tag "noindex, nofollow" always;
            add_header X-Content-Type-Options nosniff always;
        }}
        location = /_live_authorize {{
            internal;
            proxy_pass http://ideenmarkt/live/authorize/$live_kind/$live_id/$live_secret;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 10s;
            proxy_set_header X-Live-Authorize 1;
{proxy_headers}
        }}
        # Channels authorised by the browser's session, not by a wall secret (the authorisation
        # request carries the cookie): the moderators' capture list of a stand (``capture``),
        # the check-in counter at the door of an event (``door``, staff), and the public voting
        # results of an event (``results``, while they are published).
        location ~ "^/live/(?<live_kind>capture|door|results)/(?<live_id>[0-9]{{1,18}})$" {{
            nchan_subscriber eventsource;
            nchan_channel_id "$live_kind-$live_id";
            nchan_authorize_request /_live_authorize_session;
            nchan_subscriber_first_message newest;
            nchan_eventsource_ping_interval 20;
            nchan_subscriber_timeout 0;
{use_redis}
            add_header Cache-Control no-store always;
            add_header X-Content-Type-Options nosniff always;
        }}
        location = /_live_authorize_session {{
            internal;
            proxy_pass http://ideenmarkt/live/authorize/$live_kind/$live_id;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 10s;
            proxy_set_header X-Live-Authorize 1;
{proxy_headers}
        }}
        # The app's side of the authorisation is asked by nginx only.
        location ^~ /live/authorize/ {{
            return 404;
        }}
"""

PROXY_HEADERS = """\
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto {scheme};
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Request-ID $request_id;"""

#: Static files get the same protective headers as the app's responses.
STATIC_SECURITY_HEADERS = """\
            add_header X-Content-Type-Options nosniff always;
            add_header Referrer-Policy no-referrer always;
            add_header X-Frame-Options DENY always;
            add_header Content-Security-Policy "default-src 'none'; style-src 'self'; frame-ancestors 'none'" always;"""

UNAVAILABLE_PAGE = """\
<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vorübergehend nicht erreichbar – Temporarily unavailable</title>
<link rel="stylesheet" href="/static/core/css/app.css"></head>
<body><main id="main" class="container">
<h1>Vorübergehend nicht erreichbar</h1>
<p>Der Dienst ist gerade nicht erreichbar. Bitte versuchen Sie es in einem Moment noch einmal.</p>
<h2 lang="en">Temporarily unavailable</h2>
<p lang="en">The service is temporarily unavailable. Please try again in a moment.</p>
</main></body>
</html>
"""


def nginx_config(app: Flask, *, listen: str, upstream: str, static_root: Path, run_dir: Path | None = None,
                 scheme: str = "$scheme", user: str | None = None, live_publish_listen: str | None = None) -> str:
    """The nginx configuration. With ``run_dir`` it is a complete, self-contained main config
    (pid, logs and temporary files there), for ``nginx -p RUN_DIR -c nginx.conf``. With
    ``live_publish_listen`` nginx holds the live streams (nchan, :data:`LIVE_HTTP`)."""
    static_locations = "".join(
        f"        location ^~ {url_path}/ {{\n"
        f"            alias {static_root / url_path.lstrip('/')}/;\n"
        f"            expires 1h;\n"
        f"            access_log off;\n"
        f"            error_page 405 = @static_method_not_allowed;\n{STATIC_SECURITY_HEADERS}\n"
        f"        }}\n"
        for url_path in static_folders(app)
    )
    main, http_extra = "", ""
    live_http = live_locations = ""
    proxy_headers = PROXY_HEADERS.format(scheme=scheme)
    if live_publish_listen:
        redis_url = app.config.get("REDIS_URL")
        use_redis = "            nchan_redis_pass ideenmarkt_redis;" if redis_url else ""
        live_http = LIVE_HTTP.format(
            buffer_length=int(app.config.get("LIVE_BUFFER_LENGTH", 200)),
            buffer_timeout=f"{int(app.config.get('LIVE_BUFFER_SECONDS', 600))}s",
            redis=(f"    upstream ideenmarkt_redis {{\n        nchan_redis_server {_nginx_quote(redis_url)};\n    }}"
                   if redis_url else ""),
            publish_listen=live_publish_listen, use_redis=use_redis)
        live_locations = LIVE_LOCATIONS.format(use_redis=use_redis, proxy_headers=proxy_headers)
    if run_dir is not None or live_publish_listen:
        main = "\n".join(filter(None, [
            f"load_module {NCHAN_MODULE};" if live_publish_listen else "",
            f"user {user};" if user else "",
            "worker_processes auto;" if run_dir else "",
            # Each held live stream is a connection (and a file descriptor) of a worker.
            "worker_rlimit_nofile 65536;" if run_dir and live_publish_listen else "",
            f"pid {run_dir / 'nginx.pid'};" if run_dir else "",
            f"error_log {run_dir / 'nginx-error.log'} warn;" if run_dir else "",
        ]))
    if run_dir is not None:
        temp = run_dir / "nginx-tmp"
        http_extra = "\n".join([
            # Method, status, size, time and request id only: private links carry their secret in the path.
            "    log_format ideenmarkt '[$time_local] \"$request_method\" $status $body_bytes_sent $request_time "
            "$request_id';",
            f"    access_log {run_dir / 'nginx-access.log'} ideenmarkt;",
            *(f"    {kind}_temp_path {temp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
        ]) + "\n"
    max_body = f"{int(app.config.get('MAX_CONTENT_LENGTH') or 60 * 1024 * 1024) // (1024 * 1024) + 4}m"
    return NGINX_TEMPLATE.format(
        main=main, mime_types="/etc/nginx/mime.types", max_body=max_body, http_extra=http_extra,
        upstream=upstream, listen=listen, static_locations=static_locations,
        proxy_headers=proxy_headers, static_root=static_root,
        security_headers=STATIC_SECURITY_HEADERS, live_http=live_http, live_locations=live_locations,
        worker_connections=16384 if live_publish_listen else 4096,
    )


def _nginx_quote(value: str) -> str:
    """A string as one nginx config token (no way to end the directive early)."""
    if any(c in value for c in '"\\;{}\n\r'):
        raise click.ClickException("REDIS_URL must not contain quotes, backslashes, ';', braces or newlines.")
    return f'"{value}"'


deploy_cli = AppGroup("deploy", help="Production setup: static files and the nginx configuration.")


@deploy_cli.command("collect-static")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
def collect_static_command(target: Path) -> None:
    """Copy every feature's static files to TARGET (served by nginx)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    count = collect_static(app, target)
    (target / "_unavailable.html").write_text(UNAVAILABLE_PAGE)
    (target / "_unavailable.html").chmod(0o644)
    click.echo(ngettext("%(num)d static file collected in %(target)s.", "%(num)d static files collected in %(target)s.",
                        count, target=str(target)))


@deploy_cli.command("nginx-config")
@click.option("--listen", default="127.0.0.1:8080", show_default=True, help="Address nginx listens on.")
@click.option("--upstream", default="127.0.0.1:8000", show_default=True, help="gunicorn's address.")
@click.option("--static-root", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder filled by `flask deploy collect-static`.")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write a complete main config with pid, logs and temp files in this folder.")
@click.option("--user", help="The user nginx's workers run as (when started as root).")
@click.option("--forwarded-proto", default="$scheme", show_default=True,
              help="X-Forwarded-Proto sent to the app: `https` when TLS ends in front of this nginx.")
@click.option("--live-publish-listen", help="nginx holds the live streams (nchan); the app publishes to this "
              "loopback address (LIVE_PUBLISH_URL=http://ADDRESS/_live/publish).")
def nginx_config_command(listen: str, upstream: str, static_root: Path, run_dir: Path | None,
                         user: str | None, forwarded_proto: str, live_publish_listen: str | None) -> None:
    """Print an nginx configuration for the site."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(nginx_config(app, listen=listen, upstream=upstream, static_root=static_root.resolve(),
                            run_dir=run_dir.resolve() if run_dir else None, scheme=forwarded_proto,
                            user=user, live_publish_listen=live_publish_listen), nl=False)


def register(app: Flask) -> None:
    db_cli.add_command(backup_command)
    db_cli.add_command(restore_command)
    app.cli.add_command(deploy_cli)
