"""A fake Telegram Bot API server for tests: faithful answers, strict validation, a driver."""

from .driver import Driver, GroupHandle, UserHandle
from .server import DEFAULT_TOKEN, FakeBotApi
from .state import (
    CallbackAnswer,
    ErrorRecord,
    FakeClock,
    Fault,
    MessageView,
    RateLimits,
    RateViolation,
    RequestRecord,
    SentFile,
    SystemClock,
)

__all__ = [
    "DEFAULT_TOKEN",
    "CallbackAnswer",
    "Driver",
    "ErrorRecord",
    "FakeBotApi",
    "FakeClock",
    "Fault",
    "GroupHandle",
    "MessageView",
    "RateLimits",
    "RateViolation",
    "RequestRecord",
    "SentFile",
    "SystemClock",
    "UserHandle",
]
