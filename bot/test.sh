#!/usr/bin/env bash
# Run goalbot's tests: installs the development tools into .venv if they are missing.
# PostgreSQL tests run when GOALBOT_TEST_POSTGRES_URL is set (e.g.
# postgresql+psycopg://postgres@127.0.0.1/test); they are skipped otherwise.
# The tests run in two processes per core, the reliability suite in one (tests/conftest.py says
# why; GOALBOT_TEST_WORKERS sets how many; 0: in this one).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/pytest ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
if ! .venv/bin/python -c "import xdist" 2>/dev/null; then
    .venv/bin/python -m pip install --quiet -c constraints.txt -e '.[postgres,dev]'
fi
# Compiled modules are kept (in .venv, not beside the sources) even where the shell says not to
# write them: every test process and every goalbot a test starts would otherwise compile
# goalbot, its libraries' missing ones and the tests again, a good part of a run's time.
export PYTHONDONTWRITEBYTECODE="" PYTHONPYCACHEPREFIX="${PYTHONPYCACHEPREFIX:-$PWD/.venv/pycache}"
# a process that has run out of tests takes some of another's (worksteal): the slowest ones no
# longer leave the others idle at the end of a run
exec .venv/bin/python -m pytest -n "${GOALBOT_TEST_WORKERS:-auto}" --dist worksteal "$@"
