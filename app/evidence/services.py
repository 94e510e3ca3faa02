"""Storing written evidence with its documents: all of it, or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flask import current_app

from app.consultations.files import DEFAULT_RESPONDENT_TYPES, AttachmentRules, EvidenceSpec
from app.evidence import files
from app.evidence.channel import EVIDENCE
from app.extensions import db
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
            lambda response: EVIDENCE.notify_sent(response, sending.now),
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
        attachments=[
            Attachment(
                original_name=checked.original_name[:255],
                stored_name=name,
                file_type=checked.file_type,
                size=len(checked.data),
                sha256=checked.sha256,
            )
            for checked, name in stored
        ],
    )
