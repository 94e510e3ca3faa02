"""A response's history for the admin: each version its respondent has since changed, as
it read then, and what changed from it to the version after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.formatting import timefmt
from app.intake.changes import snapshot
from app.intake.versions import Change, Rows, differences
from app.models import Response


@dataclass(frozen=True)
class OlderVersion:
    """A version the respondent replaced: its number, when it was sent, whether late,
    its rows as the receipt listed them, and what the next version changed."""

    number: int
    made_at: datetime
    late: bool
    rows: Rows
    changes: list[Change]
    replaced_at: datetime  # when the next version was sent


def older_versions(response: Response) -> list[OlderVersion]:
    """The versions the respondent replaced, newest first, each with what changed next.

    The newest older version is compared with the response as it is now; the others
    with the version that replaced them.
    """
    stored = sorted(response.versions, key=lambda version: version.number)
    if not stored:
        return []
    rows = [[(label, value) for label, value in version.rows] for version in stored]
    later = [*rows[1:], snapshot(response)]
    replaced = [*(version.made_at for version in stored[1:]), response.changed_at]
    history = [
        OlderVersion(
            number=version.number,
            made_at=version.made_at,
            late=version.late,
            rows=before,
            changes=differences(before, after),
            replaced_at=replaced_at or version.made_at,
        )
        for version, before, after, replaced_at in zip(stored, rows, later, replaced, strict=True)
    ]
    return history[::-1]


def first_sent_late(response: Response) -> bool:
    """Whether the response as first sent came in during the grace period.

    `response.late` is the current version's: a change is late or not in its own right.
    """
    first = min(response.versions, key=lambda version: version.number, default=None)
    return first.late if first is not None else response.late


def on_day(moment: datetime, zone: ZoneInfo) -> str:
    """'Tuesday 2 March 2027 at 5pm UK time', to follow "on"."""
    local = moment.astimezone(zone)
    return f"{timefmt.day_name(local)} at {timefmt.clock_time(local)} {timefmt.zone_label(zone)}"
