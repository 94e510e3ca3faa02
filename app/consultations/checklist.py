"""What a consultation still needs before it can be published: a pure rule.

A draft may be saved with any of these missing; publishing, and importing a file as a
published consultation, need all of them. Each item names the key of the consultation
file it is about, so a form can show it by its field and an import can report it by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Outline:
    """The parts of a consultation the checklist looks at, saved or not."""

    officer_email: str
    channels: tuple[str, ...]
    topics: tuple[str, ...]
    question_count: int
    closes_at: datetime | None


@dataclass(frozen=True)
class Missing:
    """One thing missing: the key of the file it is about, what to do, and, where that is
    not plain, how to do it (shown on the admin pages, not in a file's problems)."""

    key: str
    text: str
    how: str = ""


SURVEY_HOW = "Add them on the consultation's Survey tab, or in its file."


def missing(outline: Outline, now: datetime | None = None) -> list[Missing]:
    """What is missing, in the order a person would fix it; empty when nothing is.

    Without `now` the deadline is not judged: a file of a past consultation still imports.
    """
    found = []
    if not outline.officer_email:
        found.append(Missing("officer.email", "Add the policy officer's email address"))
    if not outline.channels:
        found.append(Missing("channels", "Choose at least one way of taking part"))
    if "survey" in outline.channels and outline.question_count == 0:
        found.append(
            Missing("survey", "Add the survey's questions, or stop offering the survey", SURVEY_HOW)
        )
    if "evidence" in outline.channels and not outline.topics:
        found.append(Missing("evidence.topics", "Add at least one theme for written evidence"))
    if now is not None and outline.closes_at is not None and outline.closes_at <= now:
        found.append(Missing("closes_at", "Set a deadline in the future"))
    return found
