#!/usr/bin/env bash
# Install goalbot into .venv and run the bot; reinstalls when pyproject.toml or
# constraints.txt changed since the last install (e.g. after a git pull).
# Needs the bot token in GOALBOT_TOKEN (or a config file: GOALBOT_CONFIG=/path/goalbot.toml).
# Without a config file it uses SQLite (goalbot.sqlite3 here) and the shipped Kokemäki catalogue.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.goalbot-dependencies
wanted=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/goalbot ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "bot/run.sh: installing goalbot and its dependencies into .venv" >&2
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -c constraints.txt -e '.[postgres]'
    echo "$wanted" > "$stamp"
fi
exec .venv/bin/goalbot run "$@"
