"""What a reliability run counts, printed for the log and failed on: losses, duplicates, crashes."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Figures:
    """The tally of one run. From ``answers_lost`` on, each must end at zero."""

    name: str
    kills: int = 0
    owners: int = 0
    answers_acknowledged: int = 0
    reminders_delivered: int = 0
    uncertain_reported: int = 0
    summaries_complete: int = 0
    answers_lost: int = 0
    reminders_missing: int = 0
    duplicates: int = 0
    summaries_incomplete: int = 0
    unreported: int = 0
    crashes: int = 0
    invalid_calls: int = 0  # calls the real Telegram would refuse

    @property
    def losses(self) -> dict[str, int]:
        """The figures that must be zero, by name."""
        names = [f.name for f in fields(self)]
        return {n: getattr(self, n) for n in names[names.index("answers_lost") :]}

    def check(self, summaries: int | None = None) -> None:
        """Print the figures, then fail on any loss, duplicate or crash."""
        line = ", ".join(
            f"{f.name.replace('_', ' ')}: {getattr(self, f.name)}" for f in fields(self)[1:]
        )
        print(f"\n[{self.name}] {line}")
        bad = {name: value for name, value in self.losses.items() if value}
        if summaries is not None and self.summaries_complete != summaries:
            bad["summaries_complete"] = self.summaries_complete
        assert not bad, f"{self.name}: {bad}"
