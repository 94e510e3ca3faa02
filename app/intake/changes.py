"""A respondent changing what they sent, written once for every channel: the same
response, its reference kept, a new version; the old one kept for the admin; a receipt
saying what changed and one alert for the officer, in one commit.

The view checks that the consultation still takes responses (the grace rule applies
to changes as to new responses) and reads the form; this module makes the change once.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from app.extensions import db
from app.intake import channels, search
from app.intake.versions import DOCUMENTS, Change, Rows, differences, with_documents
from app.mail.notifications import notify_change
from app.models import SUBMITTED, Response, ResponseVersion, record_audit

RESPONDENT = "respondent"


class Outcome(enum.Enum):
    """What became of a change sent."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"  # sent as it was: nothing to record
    ALREADY = "already"  # this very form made its change already (a double tap, a refresh)
    CONFLICT = "conflict"  # changed from another tab or device since the form was loaded
    GONE = "gone"  # withdrawn, or purged, meanwhile


@dataclass(frozen=True)
class ChangeSending:
    """One send of a change: the form's token, the version it was loaded with, now,
    whether it is late, and the respondent's link, for the receipt."""

    token: str
    version: int
    now: datetime
    late: bool
    link: str


def snapshot(response: Response) -> Rows:
    """The response as its receipt lists it, documents included."""
    rows = channels.of(response).emailed_rows(response)
    return with_documents(rows, [a.original_name for a in response.attachments])


@dataclass(frozen=True)
class _Replaced:
    """The version a change replaces, read before the change is made: what its receipt
    listed, its documents by name and by content, its address, when it was made and
    whether it came late."""

    rows: Rows
    documents: list[str]
    copies: list[tuple[str, str]]
    email: str
    made_at: datetime
    late: bool

    @classmethod
    def of(cls, response: Response, now: datetime) -> _Replaced:
        return cls(
            rows=snapshot(response),
            documents=[a.original_name for a in response.attachments],
            copies=_copies(response),
            email=response.email,
            made_at=response.changed_at or response.submitted_at or now,
            late=response.late,
        )


def apply_change(
    response: Response, sending: ChangeSending, edit: Callable[[Response], None]
) -> Outcome:
    """Change the response with `edit` and record the version it replaces. Commits.

    A conditional update on the version claims the response first, so of two changes
    made from one version only one is made, and a change racing a withdrawal either
    finds the response gone or is made before the withdrawal removes it: never half.
    """
    if response.change_token == sending.token:
        return Outcome.ALREADY
    if response.version != sending.version:
        return Outcome.CONFLICT
    replaced = _Replaced.of(response, sending.now)
    claimed = db.session.execute(
        update(Response)
        .where(
            Response.id == response.id,
            Response.version == sending.version,
            Response.status == SUBMITTED,
            Response.link_hash.is_not(None),
        )
        .values(
            version=sending.version + 1,
            change_token=sending.token,
            changed_at=sending.now,
            updated_at=sending.now,
            late=sending.late,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return _why_not(response.id, sending.token)
    db.session.refresh(response)
    edit(response)
    db.session.flush()
    changes = _changes(replaced, response)
    if not changes:
        db.session.rollback()
        return Outcome.UNCHANGED
    _record(response, replaced, changes, sending)
    db.session.commit()
    return Outcome.CHANGED


def _changes(replaced: _Replaced, response: Response) -> list[Change]:
    """What the change changed, as its receipt lists it."""
    after = snapshot(response)
    changes = differences(replaced.rows, after)
    if not changes and _copies(response) != replaced.copies:
        # A document removed and sent again under the same name, corrected: the names
        # read the same, the contents do not.
        before = dict(replaced.rows)[DOCUMENTS]
        changes = [Change(DOCUMENTS, before, f"{dict(after)[DOCUMENTS]} (new copies)")]
    return changes


def _record(
    response: Response, replaced: _Replaced, changes: list[Change], sending: ChangeSending
) -> None:
    """Keep the replaced version, re-count and re-index the response, queue its emails."""
    channel = channels.of(response)
    db.session.add(
        ResponseVersion(
            response=response,
            number=sending.version,
            made_at=replaced.made_at,
            late=replaced.late,
            rows=[list(row) for row in replaced.rows],
            documents=replaced.documents,
        )
    )
    channel.after_change(response)
    search.index(response)
    # The address the response was sent from hears of a change that moves it elsewhere:
    # whoever holds the link cannot take the response away without its sender knowing.
    moved = replaced.email.casefold() != response.email.casefold()
    notify_change(
        channel.as_submission(response, link=sending.link),
        changes,
        sending.now,
        replaced.email if moved else "",
    )
    record_audit(
        RESPONDENT,
        "respondent_change",
        response.consultation,
        f"Response {response.reference} ({channel.label}) changed by the respondent:"
        f" now version {response.version}",
    )


def _copies(response: Response) -> list[tuple[str, str]]:
    """Each document by name and content, to tell a corrected copy from the one it replaced."""
    return sorted((a.original_name, a.sha256) for a in response.attachments)


def _why_not(response_id: int, token: str) -> Outcome:
    """Why a claim found nothing to change: gone, changed by this form, or by another."""
    db.session.rollback()
    current = db.session.scalar(select(Response).where(Response.id == response_id))
    if current is None or current.link_hash is None or current.status != SUBMITTED:
        return Outcome.GONE
    return Outcome.ALREADY if current.change_token == token else Outcome.CONFLICT
