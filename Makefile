# The kit's two commands:  make lab  and  make test.  Everything else is optional.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
UV_VERSION := 0.13.9

.PHONY: lab test bench notebooks student lint format doctor down clean lock

lab: $(STAMP)  ## set up, start the stack, open JupyterLab; Ctrl-C stops everything
	$(PY) -m classroom lab $(LAB_ARGS)

test: $(STAMP)  ## the whole suite against a real stack that the tests start and stop
	$(PY) -m pytest

bench: $(STAMP)  ## start-up time, round trips and throughput, measured on this machine
	$(PY) -m classroom bench

doctor: $(STAMP)
	$(PY) -m classroom doctor

down: $(STAMP)
	$(PY) -m classroom down

lint: $(STAMP)
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format . && $(PY) -m ruff check --fix .

# The venv: created once, reinstalled when the lock changes.
$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "The kit needs Python 3.11 or newer; this is " + sys.version.split()[0] + ". Run: make lab PYTHON=python3.12 (or any 3.11+)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV). On Debian/Ubuntu: sudo apt install python3-venv"; exit 1; }
	@# uv installs the lock in seconds: the one on the PATH, or one fetched into the venv from
	@# PyPI. Where neither works, pip installs the same lock, only slower.
	@uv=$$(command -v uv || echo $(VENV)/bin/uv); \
	if [ -x "$$uv" ] || $(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)" >/dev/null 2>&1; then \
	  echo "Installing requirements.lock with uv"; \
	  "$$uv" pip install --quiet --python $(PY) --require-hashes -r requirements.lock && exit 0; \
	  echo "uv could not install the lock; trying pip"; \
	fi; \
	echo "Installing requirements.lock with pip (a minute or two the first time)"; \
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@# the kit's code on the venv's path, for kernels, workers and tests alike
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "celery_teaching_kit.pth").write_text("$(CURDIR)\n$(CURDIR)/tutorial_app\n")'
	@touch $@

# Regenerate requirements.lock from requirements.in: one lock for every platform the README
# promises (Linux, macOS, Windows under WSL; Python 3.11 and newer), every package pinned with
# its hashes. The pins already in the lock are kept unless requirements.in asks otherwise;
# `make lock UPGRADE=--upgrade` moves everything to the newest releases.
lock: $(STAMP)
	@uv=$$(command -v uv || echo $(VENV)/bin/uv); \
	[ -x "$$uv" ] || $(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; \
	"$$uv" pip compile requirements.in --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" --quiet $(UPGRADE) -o requirements.lock

clean:  ## remove the venv and the kit's run directory (stop the stack first)
	-$(PY) -m classroom down
	rm -rf $(VENV) .run

notebooks: $(STAMP)  ## re-execute every lesson against a private stack and normalize it
	$(PY) -m classroom.authoring

student: $(STAMP)  ## the lessons with outputs cleared, in student/notebooks, for learners to run
	$(PY) -m classroom.authoring --student
