"""The rules of readers' comments, as pure functions of plain values.

Whether a thread takes comments, how long a comment can be fixed, and when readers'
reports hide a comment until a moderator looks at it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.consultations.lifecycle import State

# Undismissed reports that hide a comment at once, pending a moderator's review.
HIDE_AT = 3
# How long after posting its author can still fix a comment (then shown as "edited").
EDIT_WITHIN = timedelta(minutes=15)
MOST_CHARACTERS = 2000
NOTE_CHARACTERS = 500

# Why a comment is reported: the value stored (CommentReport.reason, 20 characters at
# most) and the words shown to readers and moderators.
REPORT_REASONS = {
    "offensive": "Offensive",
    "spam": "Spam",
    "personal_information": "Personal information",
    "off_topic": "Off topic",
    "other": "Other",
}


def comments_open(
    comments_on: bool, close_with_consultation: bool, consultation_state: State | None
) -> bool:
    """Whether a post takes new comments: while they are switched on, and, when the post
    closes with its consultation (None: it is about none), while that is not closed."""
    if not comments_on:
        return False
    return not (close_with_consultation and consultation_state is State.CLOSED)


def editable(created_at: datetime, now: datetime) -> bool:
    """Whether a comment posted at `created_at` can still be fixed by its author."""
    return now < created_at + EDIT_WITHIN


def hidden_by_reports(undismissed_reports: int) -> bool:
    """Whether this many undismissed reports hide a comment until a moderator looks."""
    return undismissed_reports >= HIDE_AT
