#!/usr/bin/env bash
# Install goalbot into .venv (first time only) and run the bot.
# Needs the bot token in GOALBOT_TOKEN (or a config file: GOALBOT_CONFIG=/path/goalbot.toml).
# Without a config file it uses SQLite (goalbot.sqlite3 here) and the shipped Kokemäki catalogue.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/goalbot ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[postgres]'
fi
exec .venv/bin/goalbot run "$@"
