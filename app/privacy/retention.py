"""Removing personal data: one response when its respondent asks, and the respondents'
details of every consultation closed for longer than the retention period.

What each removes and keeps, and why, is in docs/retention.md. Stored documents are
removed from disk only after the commit: a delete that fails keeps them with its rows.
Documents that no row names, left by a process that died at the wrong moment, are swept
up by the outbox worker and by the purge once they are old enough.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, Select, delete, exists, or_, select, update

from app.calls import booking
from app.calls.emails import MESSAGE_DELETED
from app.consultations.lifecycle import State, plural
from app.evidence import files
from app.evidence.services import upload_folder
from app.extensions import db
from app.intake import channels, search
from app.intake.submissions import new_token
from app.mail.notifications import SUMMARY_WITHIN
from app.mail.outbox import HELD, PENDING, SENDING
from app.models import (
    BOOKED,
    DRAFT,
    SUBMITTED,
    Attachment,
    Booking,
    ChoiceAnswer,
    Consultation,
    OutboxEmail,
    Question,
    Response,
    ResponseVersion,
    record_audit,
)

BATCH_SIZE = 500
PURGE_ACTOR = "purge command"
# Emails not yet handed to the mail server: left for the worker to send.
STILL_TO_GO = (PENDING, SENDING)
NEW_LINKS = "new_links"  # the kind of the email of new links to lost ones


# Deleting one response.


@dataclass(frozen=True)
class Deletion:
    """Why a response is deleted, as the audit log and a call's cancellation say it.

    `detail` is formatted with the response's `reference` and `kind`: never its
    respondent's name or address, which the log would keep after the response is gone.
    """

    action: str
    detail: str
    call_cancelled_by: str


# An admin deleting it because its respondent asked them to.
AT_REQUEST = Deletion(
    "delete_response",
    "Deleted response {reference} ({kind}) at the respondent's request",
    "officer",
)


def delete_response(
    response: Response,
    actor: str,
    now: datetime,
    deletion: Deletion = AT_REQUEST,
    also: Callable[[], None] | None = None,
) -> str:
    """Delete a submitted response and the emails about it, at the respondent's request.

    `also` adds to the same transaction once the emails about the response are deleted
    (the respondent's withdrawal queues its confirmation so). Commits, then removes its
    documents from disk. Returns its reference.
    """
    channel = channels.of(response)
    call = channel.upcoming_call(response, now)
    uids = db.session.scalars(select(Booking.uid).filter_by(response_id=response.id)).all()
    if call is not None:
        # booking.cancel rather than cancel_for_officer: that one writes the respondent's
        # name into the audit log, which would keep what we are asked to delete. In this
        # transaction, so the response is never left with its call cancelled but not gone.
        # Its emails name the message's reference, not who sent it, and offer no link.
        booking.cancel(
            call, now, by=deletion.call_cancelled_by, commit=False, because=MESSAGE_DELETED
        )
        # The cancellation must reach both calendars, but once sent it keeps no name.
        db.session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.kind == "call_cancelled",
                OutboxEmail.status.in_(STILL_TO_GO),
                or_(*(OutboxEmail.event_key.contains(f":{uid}:", autoescape=True) for uid in uids)),
            )
            .values(forget_when_sent=True)
            .execution_options(synchronize_session=False)
        )
    consultation, reference = response.consultation, response.reference or ""
    stored = [attachment.stored_name for attachment in response.attachments]
    # A survey draft changing the response holds the respondent's answers too.
    drafts = db.session.scalars(select(Response.id).filter_by(amends_id=response.id)).all()
    db.session.execute(
        delete(OutboxEmail)
        .where(
            OutboxEmail.consultation_id == response.consultation_id,
            _emails_about(response, uids, drafts),
        )
        .execution_options(synchronize_session=False)
    )
    # Neither has a relationship the ORM could cascade along; say so rather than rely on
    # the database's ON DELETE CASCADE, which SQLite only honours with foreign_keys on.
    for table in (Booking, ChoiceAnswer):
        db.session.execute(
            delete(table)
            .where(table.response_id == response.id)
            .execution_options(synchronize_session=False)
        )
    if drafts:
        db.session.execute(
            delete(Response)
            .where(Response.id.in_(drafts))
            .execution_options(synchronize_session=False)
        )
    db.session.delete(response)  # its attachments, versions, notes and tag links go with it
    record_audit(
        actor,
        deletion.action,
        consultation,
        deletion.detail.format(reference=reference, kind=channel.label),
    )
    if also is not None:
        also()
    db.session.commit()
    files.remove(upload_folder(), stored)
    return reference


def _emails_about(
    response: Response, uids: Sequence[str], drafts: Sequence[int] = ()
) -> ColumnElement[bool]:
    """The emails that hold this response's details: its alerts and receipts (for each
    version), links to its draft and to `drafts` changing it, and every email about its
    calls except a cancellation still to be sent, which must reach both calendars."""
    about = [
        # References are unique across channels, so the key's ending finds them.
        OutboxEmail.kind.in_(("alert", "receipt"))
        & OutboxEmail.event_key.endswith(f":{response.reference}", autoescape=True),
        *(OutboxEmail.event_key.startswith(f"resume:{draft}:") for draft in (response.id, *drafts)),
        *(
            OutboxEmail.event_key.startswith("call-")
            & OutboxEmail.event_key.contains(f":{uid}:", autoescape=True)
            for uid in uids
        ),
    ]
    cancellation_to_send = (OutboxEmail.kind == "call_cancelled") & OutboxEmail.status.in_(
        STILL_TO_GO
    )
    # A worker sending one right now would find its row gone; it is on its way anyway.
    being_sent = OutboxEmail.status == SENDING
    return or_(*about) & ~cancellation_to_send & ~being_sent


# Purging consultations closed for longer than the retention period.


@dataclass
class Purged:
    """What the purge removed from one consultation."""

    title: str
    responses: int = 0
    drafts: int = 0
    documents: int = 0
    emails: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.responses or self.drafts or self.documents or self.emails)

    def summary(self) -> str:
        """What was removed, as the command prints it and the audit log records it."""
        return (
            f"removed personal details from {plural(self.responses, 'response')}; deleted"
            f" {plural(self.drafts, 'draft')}, {plural(self.documents, 'document')} and"
            f" {plural(self.emails, 'email')}"
        )


def due_for_purge(now: datetime, older_than: timedelta) -> list[Consultation]:
    """Consultations closed now whose deadline passed more than `older_than` ago.

    One an admin has forced open is left alone, whatever its deadline.
    """
    closed_long_ago = db.session.scalars(
        select(Consultation)
        .where(Consultation.closes_at < now - older_than)
        .order_by(Consultation.closes_at, Consultation.id)
    ).all()
    return [c for c in closed_long_ago if c.state(now) is State.CLOSED]


def purge(now: datetime, older_than: timedelta) -> list[Purged]:
    """Purge every consultation due; what was removed from each that had anything left.

    Also deletes the emails of new links older than the period (see delete_old_link_emails).
    """
    purged = [purge_consultation(c, now, older_than) for c in due_for_purge(now, older_than)]
    delete_old_link_emails(now, older_than)
    return [result for result in purged if result.anything]


def delete_old_link_emails(now: datetime, older_than: timedelta) -> int:
    """Delete the emails of new links ("Lost your link?") queued more than `older_than`
    ago and no longer to be sent, recording how many in the audit log. Returns how many.

    Each holds an address and the responses sent from it, and belongs to no one
    consultation, so purging consultations would never reach it.
    """
    deleted = db.session.execute(
        delete(OutboxEmail)
        .where(
            OutboxEmail.kind == NEW_LINKS,
            OutboxEmail.status.not_in(STILL_TO_GO),
            OutboxEmail.created_at < now - older_than,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if deleted:
        detail = f"Deleted {plural(deleted, 'email')} of new links to responses"
        record_audit(PURGE_ACTOR, "purge", None, detail)
    db.session.commit()
    return deleted


def purge_consultation(
    consultation: Consultation, now: datetime, older_than: timedelta = timedelta(0)
) -> Purged:
    """Remove the respondents' details from one consultation, a batch per transaction,
    and record what went in the audit log. Running it again removes nothing more."""
    consultation_id = consultation.id
    result = Purged(consultation.title)
    email_questions = [
        key
        for (key,) in db.session.execute(
            select(Question.key).filter_by(consultation_id=consultation_id, type="email")
        )
    ]
    result.responses, documents = _purge_responses(
        consultation_id, email_questions, now, now - older_than
    )
    result.drafts, draft_documents = _delete_drafts(consultation_id)
    result.documents = documents + draft_documents
    result.emails = _delete_sent_emails(consultation, now)
    if result.anything:
        summary = result.summary()
        record_audit(PURGE_ACTOR, "purge", consultation, summary[0].upper() + summary[1:])
    db.session.commit()
    return result


def _purge_responses(
    consultation_id: int, email_questions: list[str], now: datetime, sent_before: datetime
) -> tuple[int, int]:
    """Blank the personal details of each submitted response sent before `sent_before` and
    not purged yet. Returns how many responses, and how many documents were deleted."""
    call_to_come = exists().where(
        Booking.response_id == Response.id, Booking.status == BOOKED, Booking.ends_at > now
    )
    due = (
        Response.consultation_id == consultation_id,
        Response.status == SUBMITTED,
        Response.purged_at.is_(None),
        # A message can arrive after the close: it is kept as long as any response.
        Response.submitted_at < sent_before,
        # The officer still has to call them: the number and name are still needed.
        ~call_to_come,
    )
    responses = documents = 0
    for ids in _batches(select(Response.id).where(*due)):
        batch = db.session.scalars(select(Response).where(Response.id.in_(ids), *due)).all()
        for response in batch:
            remove_personal_details(response, email_questions, now)
        purged_ids = [response.id for response in batch]
        stored = _delete_attachment_rows(purged_ids)
        # The versions a respondent replaced hold their details as they were then.
        db.session.execute(
            delete(ResponseVersion)
            .where(ResponseVersion.response_id.in_(purged_ids))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        files.remove(upload_folder(), stored)
        responses += len(batch)
        documents += len(stored)
    return responses, documents


def _batches(ids: Select[tuple[int]]) -> Iterator[list[int]]:
    """The ids the query finds, BATCH_SIZE at a time.

    They are read at the start, a few bytes each: paging with LIMIT instead would have
    the database find and sort every remaining row again for each batch.
    """
    found = list(db.session.scalars(ids.order_by(Response.id)))
    for start in range(0, len(found), BATCH_SIZE):
        yield found[start : start + BATCH_SIZE]


def remove_personal_details(response: Response, email_questions: list[str], now: datetime) -> None:
    """Blank who the respondent is and how to reach them; keep what they told us."""
    response.name = response.email = response.phone = ""
    # The token cannot be blank (unique, required): a new one makes old links lead nowhere.
    response.token = new_token()
    # The respondent's own link stops working: what it opened is no longer theirs to see.
    response.link_hash = None
    for column in channels.of(response).correspondence:
        setattr(response, column, "")
    if any(key in response.answers for key in email_questions):
        # An email address typed as an answer is a way to reach them like any other.
        response.answers = {k: v for k, v in response.answers.items() if k not in email_questions}
    response.purged_at = now
    search.index(response)


def _delete_attachment_rows(response_ids: list[int]) -> list[str]:
    """Delete these responses' document rows; return the files' stored names."""
    stored = list(
        db.session.scalars(
            select(Attachment.stored_name).where(Attachment.response_id.in_(response_ids))
        )
    )
    if stored:
        db.session.execute(
            delete(Attachment)
            .where(Attachment.response_id.in_(response_ids))
            .execution_options(synchronize_session=False)
        )
    return stored


def _delete_drafts(consultation_id: int) -> tuple[int, int]:
    """Delete the responses never sent. Returns how many, and how many documents."""
    drafts = documents = 0
    is_draft = (Response.consultation_id == consultation_id, Response.status == DRAFT)
    for batch in _batches(select(Response.id).where(*is_draft)):
        # Read again in this transaction: a draft sent meanwhile is no longer one.
        ids = list(db.session.scalars(select(Response.id).where(Response.id.in_(batch), *is_draft)))
        stored = _delete_attachment_rows(ids)
        for table in (ChoiceAnswer, Booking):
            db.session.execute(
                delete(table)
                .where(table.response_id.in_(ids))
                .execution_options(synchronize_session=False)
            )
        db.session.execute(
            delete(Response)
            .where(Response.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        files.remove(upload_folder(), stored)
        drafts += len(ids)
        documents += len(stored)
    return drafts, documents


def _delete_sent_emails(consultation: Consultation, now: datetime) -> int:
    """Delete the consultation's emails that are no longer to be sent: their bodies hold
    the respondents' details. Returns how many."""
    # A held alert waits for the daily digest: a message taken after the close needs it.
    kept = [OutboxEmail.status.in_((*STILL_TO_GO, HELD))]
    if consultation.closes_at > now - SUMMARY_WITHIN:
        # Still inside the time the worker sends a closing summary: without its row it
        # would send the summary again.
        kept.append(OutboxEmail.kind == "closing_summary")
    uids = db.session.scalars(
        select(Booking.uid)
        .join(Response)
        .where(
            Response.consultation_id == consultation.id,
            Booking.status == BOOKED,
            Booking.ends_at > now,
        )
    ).all()
    # The emails about a call still to come stay, so that its reminder is not sent twice.
    kept += [OutboxEmail.event_key.contains(f":{uid}:", autoescape=True) for uid in uids]
    return db.session.execute(
        delete(OutboxEmail)
        .where(OutboxEmail.consultation_id == consultation.id, ~or_(*kept))
        .execution_options(synchronize_session=False)
    ).rowcount


# Documents on disk that no row names.

# A document is written to disk just before the commit that stores its row, in the same
# request, and deleted just after the commit that deletes it: one that no row names and is
# this old was left by a process that died in between. An hour is far longer than any
# request (gunicorn stops one after 120 seconds), so an upload whose row is not committed
# yet is never taken for one, and clocks a few minutes apart (a network volume's) do not
# matter.
ORPHAN_AGE = timedelta(hours=1)
# How often the outbox worker looks: reading the folder's names and times is cheap, but
# email comes first, and a file an hour old can wait a few minutes more.
SWEEP_EVERY = timedelta(minutes=10)
SWEEP_ACTOR = "housekeeping"
log = logging.getLogger(__name__)
# A crash leaves a few documents behind: those of the uploads under way when it struck, a
# few workers with a few files each. A sweep that would remove more than MOST_ORPHANS, and
# more than MOST_ORPHAN_PERCENT per cent of the documents in the folder, is not cleaning up
# after one: the worker or the purge is most likely pointed at another database than the
# folder's (a wrong DATABASE_URL, or a database restored from an older backup), where no
# row names any document, and it would delete them all. It removes nothing and says so. Both
# limits must be passed, so that a large folder can still lose a crash's worth of orphans,
# and a small one its handful whatever their share.
MOST_ORPHANS = 20
MOST_ORPHAN_PERCENT = 10


def orphaned_files(
    found: Iterable[tuple[str, datetime]], stored: Collection[str], now: datetime
) -> list[str]:
    """Of the files found on disk (name, last written), the ones to delete: named as
    documents are stored, named by no row in `stored`, and last written more than
    ORPHAN_AGE before `now`. A file of any other name is not ours, so it is left alone."""
    return sorted(
        name
        for name, written in found
        if files.STORED_NAME.fullmatch(name) and name not in stored and written < now - ORPHAN_AGE
    )


def too_many_orphans(orphans: int, documents: int) -> bool:
    """Whether removing `orphans` of the `documents` found in the folder is too many to be
    what crashes left, and says the database is not the folder's."""
    return orphans > MOST_ORPHANS and 100 * orphans > MOST_ORPHAN_PERCENT * documents


def sweep_due(last_swept: float | None, now: float) -> bool:
    """Whether the outbox worker should look for orphaned documents, given when it last
    did (seconds on a monotonic clock, None if never) and the time now on that clock."""
    return last_swept is None or now - last_swept >= SWEEP_EVERY.total_seconds()


def remove_orphaned_files(now: datetime, actor: str = SWEEP_ACTOR) -> int:
    """Delete the documents on disk that no row names and that are older than ORPHAN_AGE,
    and record how many in the audit log. Returns how many were deleted. Deletes none,
    and logs an error, if they are too many to be what crashes left (too_many_orphans).

    `now` must be the wall clock's (models.utcnow), not the app's clock: the files' times
    are the filesystem's. The folder is read before the rows, so a row committed meanwhile
    is seen and keeps its file.
    """
    folder = upload_folder()
    found = files.on_disk(folder)
    old_enough = orphaned_files(found, (), now)
    orphans = orphaned_files(found, _named_by_rows(old_enough), now)
    documents = sum(1 for name, _written in found if files.STORED_NAME.fullmatch(name))
    if too_many_orphans(len(orphans), documents):
        log.error(orphans_kept_summary(len(orphans), documents, folder))
        return 0
    removed = files.remove(folder, orphans)
    if removed:
        record_audit(actor, "remove_orphaned_files", None, orphaned_summary(removed))
        db.session.commit()
    return removed


def orphaned_summary(removed: int) -> str:
    """What the audit log and the commands say of a sweep that removed documents."""
    return f"Removed {plural(removed, 'document')} left on disk with no response"


def orphans_kept_summary(orphans: int, documents: int, folder: Path) -> str:
    """What a sweep that refused to remove anything logs."""
    return (
        f"Removed no documents: {orphans:,} of the {plural(documents, 'document')} in"
        f" {folder} are named by no response, far more than crashes leave. Check that"
        " DATABASE_URL and UPLOAD_FOLDER are this site's, from the same backup."
    )


def _named_by_rows(names: list[str]) -> set[str]:
    """Those of `names` that a document row names, looked up BATCH_SIZE at a time."""
    named: set[str] = set()
    for start in range(0, len(names), BATCH_SIZE):
        batch = names[start : start + BATCH_SIZE]
        named.update(
            db.session.scalars(
                select(Attachment.stored_name).where(Attachment.stored_name.in_(batch))
            )
        )
    return named
