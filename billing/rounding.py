"""Time rounding: tracked seconds -> billed seconds. Pure functions, no database.

Rounding changes what is billed (quantities and amounts), never the stored times, the week page or
the working-time checks: nothing outside billing calls this. A rounding is a mode (none, up, down,
nearest), a step in minutes (1, 5, 6, 10, 15, 30) and a scope: each entry on its own, or a person's
day on a project as a whole (the day's difference then lands on its last entries, so that every
entry still has its own billed seconds and any grouping of entries adds up to the same total).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

MODES = ("none", "up", "down", "nearest")
STEPS_MINUTES = (1, 5, 6, 10, 15, 30)
SCOPES = ("entry", "day")


@dataclass(frozen=True)
class Rounding:
    mode: str = "none"
    minutes: int = 15
    scope: str = "entry"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(
                _("the rounding mode is one of {choices}, not {mode}").format(
                    choices=", ".join(MODES), mode=repr(self.mode)
                )
            )
        if self.minutes not in STEPS_MINUTES:
            raise ValueError(
                _("the rounding step is one of {choices} minutes").format(choices=", ".join(map(str, STEPS_MINUTES)))
            )
        if self.scope not in SCOPES:
            raise ValueError(
                _("the rounding scope is one of {choices}, not {scope}").format(
                    choices=", ".join(SCOPES), scope=repr(self.scope)
                )
            )

    @classmethod
    def parse(cls, text: str) -> Rounding:
        """'none', or '<mode>:<minutes>[:<scope>]' (e.g. 'up:15', 'nearest:6:day'): the setting's form."""
        parts = [part.strip() for part in text.strip().lower().split(":")]
        if parts == ["none"]:
            return cls()
        if len(parts) not in (2, 3) or not parts[1].isdigit():
            raise ValueError(
                _("give 'none' or '<mode>:<minutes>[:<scope>]', e.g. 'up:15:entry', not {text}").format(text=repr(text))
            )
        return cls(mode=parts[0], minutes=int(parts[1]), scope=parts[2] if len(parts) == 3 else "entry")

    @property
    def is_none(self) -> bool:
        return self.mode == "none"

    def __str__(self) -> str:
        return "none" if self.is_none else f"{self.mode}:{self.minutes}:{self.scope}"


def round_seconds(seconds: int, rounding: Rounding) -> int:
    """`seconds` rounded to the step of `rounding` (nearest: half a step rounds up)."""
    if rounding.is_none or seconds <= 0:
        return max(seconds, 0)
    step = rounding.minutes * 60
    whole, rest = divmod(seconds, step)
    if rest == 0:
        return seconds
    if rounding.mode == "up" or (rounding.mode == "nearest" and rest * 2 >= step):
        return (whole + 1) * step
    return whole * step


def billed_seconds(tracked: Sequence[int], rounding: Rounding) -> list[int]:
    """The billed seconds of each of `tracked` (one person's entries of one day on one project, in
    time order, for the day scope). Entry scope: each rounded alone. Day scope: the day's total is
    rounded, and the difference is given to (up) or taken from (down) the last entries, never below
    zero, so the billed seconds add up to the rounded total exactly."""
    if rounding.scope == "entry":
        return [round_seconds(seconds, rounding) for seconds in tracked]
    billed = [max(seconds, 0) for seconds in tracked]
    if not billed:
        return billed
    difference = round_seconds(sum(billed), rounding) - sum(billed)
    if difference >= 0:
        billed[-1] += difference
        return billed
    for index in range(len(billed) - 1, -1, -1):
        taken = min(billed[index], -difference)
        billed[index] -= taken
        difference += taken
        if difference == 0:
            break
    return billed
