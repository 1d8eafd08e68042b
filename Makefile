PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: install prepare run test test-fast lint format messages clean

$(BIN)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

install: $(BIN)/.installed

prepare: install
	mkdir -p var
	$(BIN)/python manage.py compiletranslations
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo

run: prepare
	$(BIN)/python manage.py serve --port $(PORT)

test: install
	mkdir -p var
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py compiletranslations
	$(BIN)/python -m pytest --create-db

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Extract strings into the French catalogue (needs GNU gettext: apt-get install gettext).
messages: install
	$(BIN)/python manage.py makemessages --locale fr --ignore '.venv/*' --ignore 'var/*' --ignore '*/tests/*' --no-obsolete

clean:
	rm -rf var/cache var/test*.sqlite3* var/screenshots
