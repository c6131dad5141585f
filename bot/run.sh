#!/usr/bin/env bash
# Install goalbot into .venv and run the bot; reinstalls when pyproject.toml or
# constraints.txt changed since the last install (e.g. after a git pull).
# Needs the bot token in GOALBOT_TOKEN (or a config file: GOALBOT_CONFIG=/path/goalbot.toml);
# without one it starts the sandbox (goalbot sandbox): the bot in a local web chat.
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
# With no bot token anywhere (GOALBOT_TOKEN, or the config file's [telegram] token), there is
# no bot to run on Telegram yet: start the sandbox instead, where it can be tried in a browser.
if .venv/bin/python - <<'PY' 2>/dev/null; then
import sys
from goalbot.config import load_config
try:
    sys.exit(1 if load_config(None).telegram.token else 0)
except Exception:  # a broken configuration: "goalbot run" says what is wrong with it
    sys.exit(1)
PY
    echo "bot/run.sh: no bot token is configured, so goalbot starts in its sandbox (no Telegram);" >&2
    echo "bot/run.sh: to go live, set GOALBOT_TOKEN (from @BotFather) and run bot/run.sh again" >&2
    exec .venv/bin/goalbot sandbox "$@"
fi
# goalbot run never makes its database, so one that vanishes later is refused rather than
# replaced by an empty one. The first live start from this checkout makes it, once.
made=.venv/.goalbot-database-made
if [ ! -e "$made" ]; then
    echo "bot/run.sh: first start here: making the database (goalbot db upgrade)" >&2
    .venv/bin/goalbot db upgrade "$@"
    touch "$made"
fi
exec .venv/bin/goalbot run "$@"
