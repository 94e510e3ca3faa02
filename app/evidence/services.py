"""Storing written evidence with its documents, and changing it: all of it, or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from flask import current_app

from app.consultations.files import DEFAULT_RESPONDENT_TYPES, AttachmentRules, EvidenceSpec
from app.evidence import files
from app.evidence.channel import EVIDENCE
from app.extensions import db
from app.intake.changes import ChangeSending, Outcome, apply_change
from app.intake.channel import Sender, Sending
from app.intake.submissions import store_once
from app.models import Attachment, Consultation, Response

DEFAULT_MAX_LENGTH = EvidenceSpec.model_fields["max_length"].default


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def settings(consultation: Consultation) -> dict[str, Any]:
    """The consultation's evidence settings, with the defaults for anything not set."""
    given = consultation.evidence_settings or {}
    # Merged rather than validated: what was stored before a rule existed must still load.
    attachments = {**AttachmentRules().model_dump(), **(given.get("attachments") or {})}
    if not attachments["types"]:
        # Stored before a file or form had to name a type: no type means no documents.
        attachments["max_files"] = 0
    return {
        "respondent_types": given.get("respondent_types") or DEFAULT_RESPONDENT_TYPES,
        "topics": given.get("topics") or [],
        "max_length": given.get("max_length") or DEFAULT_MAX_LENGTH,
        "attachments": attachments,
    }


@dataclass(frozen=True)
class Evidence:
    """What the evidence form asks besides who is sending it, as plain values."""

    respondent_type: str
    topics: list[str]
    text: str
    publish: str
    documents: list[files.CheckedFile] = field(default_factory=list)


def submit(
    consultation: Consultation, sender: Sender, evidence: Evidence, sending: Sending
) -> Response:
    """Store the evidence, its documents and its emails in one commit.

    The documents are written to disk first; if the commit then fails they are removed,
    so a failed submission leaves no file behind and a stored one never lacks its files.
    A send racing another with the same token (the view has already looked for a first
    one) returns whichever was stored first.
    """
    folder = upload_folder()
    stored: list[tuple[files.CheckedFile, str]] = []
    try:
        for checked in evidence.documents:
            stored.append((checked, files.store(folder, checked)))
        response, new = store_once(
            lambda token: _new_response(
                consultation, sender, evidence, replace(sending, token=token), stored
            ),
            sending.token,
            lambda token: EVIDENCE.find_by_token(consultation, token),
            lambda response: EVIDENCE.notify_sent(response, sending.now, sending.follows),
        )
    except BaseException:
        db.session.rollback()
        files.remove(folder, [name for _checked, name in stored])
        raise
    if not new:  # the same form sent twice at once: the other send's files were kept
        files.remove(folder, [name for _checked, name in stored])
    return response


def unsaved(
    consultation: Consultation, sender: Sender, evidence: Evidence, sending: Sending
) -> Response:
    """The response `submit` would store, stored nowhere and without its documents: what a
    preview lists."""
    return _new_response(consultation, sender, evidence, sending, [])


def _new_response(consultation, sender, evidence, sending, stored) -> Response:
    return EVIDENCE.new_response(
        consultation,
        sending,
        sender,
        respondent_type=evidence.respondent_type,
        topics=evidence.topics,
        evidence_text=evidence.text,
        publish=evidence.publish,
        attachments=_attachments(stored),
    )


def _attachments(stored: list[tuple[files.CheckedFile, str]]) -> list[Attachment]:
    """The attachments for documents stored on disk under the names given."""
    return [
        Attachment(
            original_name=checked.original_name[:255],
            stored_name=name,
            file_type=checked.file_type,
            size=len(checked.data),
            sha256=checked.sha256,
        )
        for checked, name in stored
    ]


@dataclass(frozen=True)
class EvidenceChange:
    """Evidence as its respondent changed it: who is sending it, what the form asks (its
    documents the new ones to add) and the documents sent before to remove, by id."""

    sender: Sender
    evidence: Evidence
    remove: frozenset[int] = frozenset()


def change(response: Response, wanted: EvidenceChange, sending: ChangeSending) -> Outcome:
    """Change sent evidence as the respondent asked, once (app.intake.changes). Commits.

    New documents are written to disk first, as `submit` writes them, and removed again
    unless the change is made. The files of documents removed are deleted only once
    the change is committed: until then the version in the database still has them.
    """
    folder = upload_folder()
    added: list[tuple[files.CheckedFile, str]] = []
    removed: list[str] = []
    try:
        for checked in wanted.evidence.documents:
            added.append((checked, files.store(folder, checked)))
        outcome = apply_change(response, sending, partial(_edit, wanted, added, removed))
    except BaseException:
        db.session.rollback()
        files.remove(folder, [name for _checked, name in added])
        raise
    if outcome is Outcome.CHANGED:
        files.remove(folder, removed)
    else:
        files.remove(folder, [name for _checked, name in added])
    return outcome


def _edit(
    wanted: EvidenceChange,
    added: list[tuple[files.CheckedFile, str]],
    removed: list[str],
    response: Response,
) -> None:
    """Set the changed values on the response; note the removed documents' files."""
    sender, evidence = wanted.sender, wanted.evidence
    response.name, response.email = sender.name, sender.email
    response.organisation = sender.organisation
    response.respondent_type = evidence.respondent_type
    response.topics = evidence.topics
    response.evidence_text = evidence.text
    response.publish = evidence.publish
    for attachment in list(response.attachments):
        if attachment.id in wanted.remove:
            removed.append(attachment.stored_name)
            response.attachments.remove(attachment)
    response.attachments.extend(_attachments(added))
