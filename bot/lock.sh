#!/usr/bin/env bash
# Re-pin constraints.txt: resolve goalbot's dependencies (with the postgres and dev extras)
# afresh in a throw-away virtualenv and write every version that was installed.
# Run it after changing the dependencies in pyproject.toml, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e '.[postgres,dev]'
{
    echo "# The versions goalbot is tested with: pip install -c constraints.txt '.[postgres]'"
    echo "# (bot/run.sh, the container and CI install with it). Regenerate with bot/lock.sh."
    "$venv/bin/python" -m pip freeze --exclude-editable --all | grep -v -E '^(pip|setuptools|wheel)=='
} > constraints.txt
echo "constraints.txt: $(grep -c '==' constraints.txt) pinned packages"
