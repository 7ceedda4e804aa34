# Ideenmarkt: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
export FLASK_APP := wsgi

.PHONY: run test test-sqlite test-postgres deps dev-deps test-deps translations bench serve-prod stop-prod clean

## Create the virtualenv and install the runtime requirements (again only when they change).
$(VENV)/.deps: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: $(VENV)/.deps requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

## Compile the German catalogues (compiled files are never committed).
translations: $(VENV)/.deps
	$(BIN)/python scripts/i18n.py compile

## Serve the demo site: migrate, load the demo if the database is empty, print logins, serve.
run: deps translations
	$(BIN)/flask db upgrade
	FLASK_RUN_HOST=$(HOST) FLASK_RUN_PORT=$(PORT) $(BIN)/flask demo load --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/ with a job worker (Ctrl-C stops both)"
	@$(BIN)/flask jobs worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	FLASK_RUN_HOST=$(HOST) FLASK_RUN_PORT=$(PORT) $(BIN)/flask run --with-threads

## Debian packages (chromium, redis-server) and npm axe-core for the browser tests.
test-deps: dev-deps
	bash scripts/install-test-deps.sh

## The whole suite, on SQLite and on a throwaway PostgreSQL 15 cluster.
test: test-deps translations
	@status=0; \
	echo "=== test suite on SQLite ==="; \
	$(BIN)/python -m pytest $(PYTEST_ARGS) || status=1; \
	echo "=== test suite on PostgreSQL 15 ==="; \
	$(BIN)/python -m tests.support.pgcluster run -- $(BIN)/python -m pytest $(PYTEST_ARGS) || status=1; \
	exit $$status

test-sqlite: test-deps translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: test-deps translations
	$(BIN)/python -m tests.support.pgcluster run -- $(BIN)/python -m pytest $(PYTEST_ARGS)

## The production stack: nginx → gunicorn (gthread) → PostgreSQL/Redis; see scripts/serve-prod.sh.
serve-prod: deps translations
	bash scripts/serve-prod.sh start

stop-prod:
	bash scripts/serve-prod.sh stop

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis
	find app -name '*.mo' -delete
