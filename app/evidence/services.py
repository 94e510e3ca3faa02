"""Storing written evidence with its documents: all of it, or nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.consultations.files import DEFAULT_RESPONDENT_TYPES, AttachmentRules, EvidenceSpec
from app.evidence import files
from app.evidence.forms import EvidenceForm
from app.extensions import db
from app.intake.submissions import new_reference, store_once
from app.mail.notifications import Submission, notify_submission, site_url
from app.models import SUBMITTED, Attachment, Consultation, Response
from app.web.forms import PUBLISH_CHOICES

CHANNEL = "evidence"
DEFAULT_MAX_LENGTH = EvidenceSpec.model_fields["max_length"].default


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def settings(consultation: Consultation) -> dict[str, Any]:
    """The consultation's evidence settings, with the defaults for anything not set."""
    given = consultation.evidence_settings or {}
    return {
        "respondent_types": given.get("respondent_types") or DEFAULT_RESPONDENT_TYPES,
        "topics": given.get("topics") or [],
        "max_length": given.get("max_length") or DEFAULT_MAX_LENGTH,
        "attachments": AttachmentRules.model_validate(given.get("attachments") or {}).model_dump(),
    }


def find_by_token(consultation: Consultation, token: str) -> Response | None:
    """The evidence already sent with this form's token, if any."""
    return db.session.scalar(
        select(Response).filter_by(consultation_id=consultation.id, channel=CHANNEL, token=token)
    )


def submit(
    consultation: Consultation,
    form: EvidenceForm,
    token: str,
    loaded_at: datetime | None,
    now: datetime,
    late: bool,
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
        for checked in form.checked_files:
            stored.append((checked, files.store(folder, checked)))
        response, new = store_once(
            lambda token: _new_response(consultation, form, token, loaded_at, now, late, stored),
            token,
            lambda token: find_by_token(consultation, token),
            lambda response: notify_submission(as_submission(response), now),
        )
    except BaseException:
        db.session.rollback()
        files.remove(folder, [name for _checked, name in stored])
        raise
    if not new:  # the same form sent twice at once: the other send's files were kept
        files.remove(folder, [name for _checked, name in stored])
    return response


def _new_response(consultation, form, token, loaded_at, now, late, stored) -> Response:
    return Response(
        consultation=consultation,
        channel=CHANNEL,
        status=SUBMITTED,
        token=token,
        reference=new_reference("EV"),
        answers={},
        pages_done=[],
        name=form.name.data.strip(),
        email=form.email.data,
        organisation=(form.organisation.data or "").strip(),
        respondent_type=form.respondent_type.data,
        topics=list(dict.fromkeys(form.topics.data)),
        evidence_text=form.evidence.data.strip(),
        publish=form.publish.data,
        consent=True,
        late=late,
        started_at=loaded_at or now,
        updated_at=now,
        submitted_at=now,
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


def detail_rows(response: Response) -> list[tuple[str, str]]:
    """The evidence as the emails and the admin area list it."""
    rows = [
        ("Name", response.name),
        ("Email address", response.email),
        ("Which best describes you?", response.respondent_type),
    ]
    if response.organisation:
        rows.append(("Organisation", response.organisation))
    rows += [
        ("Themes", "; ".join(response.topics)),
        ("Evidence", response.evidence_text),
        ("May we publish your response?", PUBLISH_CHOICES.get(response.publish, "")),
    ]
    return rows


def as_submission(response: Response) -> Submission:
    """The evidence as the officer's alert and the respondent's receipt describe it."""
    return Submission(
        kind=CHANNEL,
        kind_label="Written evidence",
        reference=response.reference or "",
        consultation=response.consultation,
        submitted_at=response.submitted_at or response.updated_at,
        admin_url=site_url("admin.response", response_id=response.id),
        name=response.name,
        email=response.email,
        organisation=response.organisation,
        respondent_type=response.respondent_type,
        late=response.late,
        details=detail_rows(response),
        attachment_names=[
            files.safe_name(a.original_name, a.file_type) for a in response.attachments
        ],
    )
