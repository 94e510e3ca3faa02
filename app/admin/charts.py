"""Charts drawn on the server as SVG, with no script and the numbers kept in the page: bars
for the survey summary, a column per day for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

LABEL_LENGTH = 48


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: int
    y: int
    length: float


@dataclass(frozen=True)
class Column:
    day: date
    count: int
    x: float
    height: float


def bars(counts: list[tuple[str, int]], of: int, width: int = 240, row: int = 38) -> list[Bar]:
    """A horizontal bar per option, its length against the largest count; the percent is
    of `of` (those who answered the question)."""
    most = max((count for _, count in counts), default=0)
    return [
        Bar(
            label=_shortened(label),
            count=count,
            percent=round(100 * count / of) if of else 0,
            y=index * row,
            length=width * count / most if most else 0,
        )
        for index, (label, count) in enumerate(counts)
    ]


def columns(per_day: list[tuple[date, int]], width: int = 280, height: int = 48) -> list[Column]:
    """A column per day across `width`, its height against the busiest day."""
    most = max((count for _, count in per_day), default=0)
    step = width / max(len(per_day), 1)
    return [
        Column(day, count, index * step, height * count / most if most else 0)
        for index, (day, count) in enumerate(per_day)
    ]


def _shortened(label: str) -> str:
    return label if len(label) <= LABEL_LENGTH else label[: LABEL_LENGTH - 1].rstrip() + "…"
