#!/usr/bin/env bash
# The production stack on one machine: nginx in front, gunicorn (gthread) behind it, with
# PostgreSQL and Redis given by their URLs.
#
# Usage:   scripts/serve-prod.sh start | stop | restart | status
#
# Required environment:
#   SECRET_KEY     signs sessions and links (keep it the same across deploys)
#   DATABASE_URL   postgresql+psycopg://user:password@host:5432/db (SQLite works too, for trials)
# Optional:
#   REDIS_URL      redis://127.0.0.1:6379/0 (rate limits and live walls shared by all workers)
#   BASE_URL       the public address used in mails, e.g. https://beteiligung.example.de
#   LISTEN         where nginx listens            (default 127.0.0.1:8080)
#   APP_BIND       where gunicorn listens         (default 127.0.0.1:8000)
#   WORKERS        gunicorn worker processes      (default 2 × cores + 1)
#   THREADS        threads per worker             (default 8)
#   LIVE_PUBLISH_LISTEN  loopback address of nginx's live publisher (default 127.0.0.1:8081):
#                  nginx (module nchan, Debian package libnginx-mod-nchan) holds the walls' live
#                  streams, the app publishes each change there. `off`: the app streams itself
#                  (each open wall then holds a gunicorn thread).
#   RUN_DIR        config, pid files, logs, collected static files (default instance/run)
#   NGINX_USER     user of nginx's workers when started as root (default www-data)
#   FORWARDED_PROTO  `https` when TLS ends in a proxy in front of this nginx (default: nginx's scheme)
#   TRUSTED_PROXIES  addresses/networks whose X-Forwarded-For/-Proto the app and gunicorn believe
#                  (default 127.0.0.1,::1: this nginx); add a proxy in front of nginx, nothing else
#   JOB_WORKERS    job worker processes (`flask jobs worker`, default 1; threads: IDEENMARKT_JOBS_WORKERS)
#   MAIL_*, IDEENMARKT_<SETTING>: see README "Configuration".
#
# `start` installs the Debian packages nginx and libnginx-mod-nchan when missing (as root), compiles the
# translations, runs `flask db upgrade`, collects the static files, writes
# RUN_DIR/nginx.conf, starts gunicorn and nginx in the background and waits until
# /healthz answers through nginx, and starts the job workers. `stop` ends all (by their pid files).
set -euo pipefail

# No request paths or query strings in access logs: private links (applications, seats, tickets,
# walls) carry their secret in the path. The app's JSON log names the route pattern instead.
ACCESS_LOG_FORMAT='%(t)s "%(m)s" %(s)s %(B)s %(M)sms'

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
BIN="${VENV:-$REPO_ROOT/.venv}/bin"
LISTEN="${LISTEN:-127.0.0.1:8080}"
APP_BIND="${APP_BIND:-127.0.0.1:8000}"
WORKERS="${WORKERS:-$((2 * $(nproc) + 1))}"
THREADS="${THREADS:-8}"
RUN_DIR="$(mkdir -p "${RUN_DIR:-$REPO_ROOT/instance/run}" && cd "${RUN_DIR:-$REPO_ROOT/instance/run}" && pwd)"
FORWARDED_PROTO="${FORWARDED_PROTO:-\$scheme}"
LIVE_PUBLISH_LISTEN="${LIVE_PUBLISH_LISTEN:-127.0.0.1:8081}"
NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so
export FLASK_APP=wsgi IDEENMARKT_ENV="${IDEENMARKT_ENV:-production}" TRUSTED_PROXIES="${TRUSTED_PROXIES:-127.0.0.1,::1}"

die() { echo "serve-prod: ERROR: $*" >&2; exit 1; }
log() { echo "serve-prod: $*"; }

nginx_bin() {
    command -v nginx 2>/dev/null || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; } || true
}

ensure_nginx() {
    local packages=()
    [[ -n "$(nginx_bin)" ]] || packages+=(nginx)
    [[ "$LIVE_PUBLISH_LISTEN" == off || -f "$NCHAN_MODULE" ]] || packages+=(libnginx-mod-nchan)
    ((${#packages[@]})) || return 0
    [[ $(id -u) -eq 0 ]] || die "${packages[*]} not installed; run as root or: apt-get install ${packages[*]} (or LIVE_PUBLISH_LISTEN=off)"
    log "installing the Debian packages ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${packages[@]}" || die "apt-get install ${packages[*]} failed"
    [[ -n "$(nginx_bin)" ]] || die "nginx still missing after apt-get install"
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {  # wait_for URL SECONDS
    local deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

start() {
    [[ -n "${SECRET_KEY:-}" ]] || die "SECRET_KEY is not set"
    [[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL is not set"
    [[ -n "${BASE_URL:-}" ]] || die "BASE_URL is not set (the public address used in mails)"
    pid_alive "$RUN_DIR/gunicorn.pid" && die "already running (gunicorn pid $(cat "$RUN_DIR/gunicorn.pid")); use restart"
    ensure_nginx
    [[ -x "$BIN/gunicorn" ]] || make deps
    "$BIN/python" scripts/i18n.py compile >/dev/null
    log "flask db upgrade"
    "$BIN/flask" db upgrade
    "$BIN/flask" deploy collect-static "$RUN_DIR/static"
    local user_args=() live_args=()
    if [[ "$LIVE_PUBLISH_LISTEN" != off ]]; then
        live_args=(--live-publish-listen "$LIVE_PUBLISH_LISTEN")
        export IDEENMARKT_LIVE_PUBLISH_URL="http://$LIVE_PUBLISH_LISTEN/_live/publish"
    else
        unset IDEENMARKT_LIVE_PUBLISH_URL
    fi
    if [[ $(id -u) -eq 0 ]]; then
        user_args=(--user "${NGINX_USER:-www-data}")
    fi
    mkdir -p "$RUN_DIR/nginx-tmp"
    "$BIN/flask" deploy nginx-config --listen "$LISTEN" --upstream "$APP_BIND" --static-root "$RUN_DIR/static" \
        --run-dir "$RUN_DIR" --forwarded-proto "$FORWARDED_PROTO" "${user_args[@]}" "${live_args[@]}" >"$RUN_DIR/nginx.conf"
    if [[ $(id -u) -eq 0 ]]; then
        chown -R "${NGINX_USER:-www-data}" "$RUN_DIR/nginx-tmp"
    fi
    "$(nginx_bin)" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" || die "nginx rejected $RUN_DIR/nginx.conf"

    log "gunicorn: $WORKERS workers × $THREADS threads on $APP_BIND"
    # Metrics (app/metrics): every worker writes its values here; emptied at each start, so no
    # dead process of an earlier run is counted. Only gunicorn's workers get it (not the job workers).
    rm -rf "$RUN_DIR/metrics" && mkdir -p "$RUN_DIR/metrics"
    PROMETHEUS_MULTIPROC_DIR="$RUN_DIR/metrics" \
    "$BIN/gunicorn" --daemon --pid "$RUN_DIR/gunicorn.pid" --bind "$APP_BIND" \
        --config "$REPO_ROOT/scripts/gunicorn.conf.py" \
        --worker-class gthread --workers "$WORKERS" --threads "$THREADS" \
        --timeout 60 --graceful-timeout 30 --keep-alive 5 --forwarded-allow-ips "$TRUSTED_PROXIES" \
        --access-logfile "$RUN_DIR/gunicorn-access.log" --access-logformat "$ACCESS_LOG_FORMAT" \
        --error-logfile "$RUN_DIR/gunicorn.log" \
        --capture-output wsgi:app
    wait_for "http://$APP_BIND/healthz" 60 || die "gunicorn did not become healthy; see $RUN_DIR/gunicorn.log"
    log "job worker: ${JOB_WORKERS:-1} process(es)"
    for n in $(seq 1 "${JOB_WORKERS:-1}"); do
        nohup "$BIN/flask" jobs worker >>"$RUN_DIR/jobs-$n.log" 2>&1 </dev/null &
        echo $! >"$RUN_DIR/jobs-$n.pid"
    done
    log "nginx on $LISTEN"
    "$(nginx_bin)" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf"
    wait_for "http://$LISTEN/healthz" 30 || die "nginx does not answer; see $RUN_DIR/nginx-error.log"
    log "serving on http://$LISTEN/ (logs in $RUN_DIR)"
}

stop_pid() {  # stop_pid PIDFILE NAME SIGNAL
    local pidfile=$1 name=$2 signal=$3 pid
    pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
    pid=$(cat "$pidfile")
    kill -"$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || { log "$name stopped"; rm -f "$pidfile"; return 0; }
        sleep 0.2
    done
    log "$name did not stop in time; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

stop() {
    stop_pid "$RUN_DIR/nginx.pid" nginx QUIT
    stop_pid "$RUN_DIR/gunicorn.pid" gunicorn TERM
    for pidfile in "$RUN_DIR"/jobs-*.pid; do
        [[ -e "$pidfile" ]] && stop_pid "$pidfile" "job worker" TERM
    done
}

status() {
    local ok=0
    pid_alive "$RUN_DIR/gunicorn.pid" && log "gunicorn running (pid $(cat "$RUN_DIR/gunicorn.pid"))" || { log "gunicorn not running"; ok=1; }
    pid_alive "$RUN_DIR/nginx.pid" && log "nginx running (pid $(cat "$RUN_DIR/nginx.pid"))" || { log "nginx not running"; ok=1; }
    curl -fsS --max-time 2 "http://$LISTEN/healthz" && echo || ok=1
    return $ok
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    status) status ;;
    *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
