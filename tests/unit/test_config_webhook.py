"""[telegram] mode and the webhook's keys: checked together, each problem named with its key."""

from __future__ import annotations

import pytest

from goalbot.config import ConfigError, parse_config

GOOD = {
    "mode": "webhook",
    "webhook_url": "https://bot.example.fi/goalbot/kokemaki",
    "secret_token": "Kokemaki_2026-secret",
}


def problems(telegram: dict[str, object], env: dict[str, str] | None = None) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as caught:
        parse_config({"telegram": telegram}, env=env or {})
    return caught.value.problems


def test_polling_is_the_default_and_needs_nothing_more() -> None:
    tg = parse_config({}, env={}).telegram
    assert (tg.mode, tg.webhook_url, tg.listen, tg.port) == ("polling", "", "127.0.0.1", 8443)


def test_a_webhook_with_its_address_and_secret() -> None:
    tg = parse_config({"telegram": {**GOOD, "port": 9000}}, env={}).telegram
    assert tg.mode == "webhook" and tg.port == 9000
    assert tg.webhook_path == "/goalbot/kokemaki"  # the path this process serves


def test_the_secret_may_come_from_the_environment() -> None:
    data = {"telegram": {k: v for k, v in GOOD.items() if k != "secret_token"}}
    env = {"GOALBOT_TELEGRAM__SECRET_TOKEN": "from-env_1"}
    assert parse_config(data, env=env).telegram.secret_token == "from-env_1"


@pytest.mark.parametrize(
    ("telegram", "message"),
    [
        ({"mode": "hook"}, "telegram.mode: must be one of polling, webhook, not 'hook'"),
        ({**GOOD, "webhook_url": ""}, 'telegram.webhook_url: missing; mode = "webhook"'),
        ({**GOOD, "webhook_url": "bot.example.fi"}, "telegram.webhook_url: must be an address"),
        (
            {**GOOD, "webhook_url": "http://bot.example.fi/goalbot"},
            "telegram.webhook_url: Telegram posts only to https:// addresses",
        ),
        ({**GOOD, "webhook_url": "https://b.fi/x?a=1"}, "must have no ?query or #fragment"),
        ({**GOOD, "secret_token": ""}, 'telegram.secret_token: missing; mode = "webhook"'),
        ({**GOOD, "secret_token": "ei käy!"}, "telegram.secret_token: 1-256 characters"),
        ({**GOOD, "secret_token": "x" * 257}, "telegram.secret_token: 1-256 characters"),
        ({**GOOD, "port": 70000}, "telegram.port: must be at most 65535, not 70000"),
        ({**GOOD, "port": "8443"}, "telegram.port: must be a whole number"),
        ({**GOOD, "listen": ""}, "telegram.listen: must be an address"),
    ],
)
def test_each_mistake_names_its_key(telegram: dict[str, object], message: str) -> None:
    found = problems(telegram)
    assert any(message in p for p in found), found


def test_a_local_bot_api_server_may_post_over_plain_http() -> None:
    data = {
        **GOOD,
        "webhook_url": "http://127.0.0.1:8443/hook",
        "base_url": "http://127.0.0.1:8081/bot",
    }
    assert parse_config({"telegram": data}, env={}).telegram.webhook_url.startswith("http://")


def test_the_secret_is_only_checked_in_webhook_mode() -> None:
    assert parse_config({"telegram": {"secret_token": ""}}, env={}).telegram.mode == "polling"
