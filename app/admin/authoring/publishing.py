"""Publishing a draft, setting a consultation back to draft, and copying one into a new
draft; each change written to the audit log in the same transaction."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from app.admin.authoring import settings
from app.consultations import checklist, files, preview
from app.extensions import db
from app.models import DRAFT, ChoiceAnswer, Consultation, Question, Response, record_audit

# What describes a question, as the consultation file does: the rows' own ids and
# consultation stay behind when a survey is copied.
QUESTION_FIELDS = (
    "key",
    "page",
    "page_title",
    "position",
    "type",
    "prompt",
    "hint",
    "required",
    "options",
    "settings",
    "show_if",
)


class NotReady(Exception):
    """Publishing refused: the checklist still names what is missing."""

    def __init__(self, missing: list[checklist.Missing]) -> None:
        super().__init__("; ".join(item.text for item in missing))
        self.missing = missing


class HasResponses(Exception):
    """Setting back to draft refused: people have responded, or started the survey."""


class CopyRefused(Exception):
    """A copy that cannot be made, with each problem by the key of the file it is about."""

    def __init__(self, by_key: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{key}: {what}" for key, what in by_key))
        self.by_key = by_key


def outline(consultation: Consultation) -> checklist.Outline:
    """What the publishing checklist looks at, from a saved consultation."""
    return checklist.Outline(
        officer_email=consultation.officer_email or "",
        channels=tuple(consultation.channels or ()),
        topics=tuple((consultation.evidence_settings or {}).get("topics") or ()),
        question_count=len(consultation.questions),
        closes_at=consultation.closes_at,
    )


def missing(consultation: Consultation, now: datetime) -> list[checklist.Missing]:
    """What the consultation still needs before it can be published at `now`."""
    return checklist.missing(outline(consultation), now)


def response_counts(consultation: Consultation) -> tuple[int, int]:
    """How many responses it has received, and how many surveys are in progress."""
    rows = db.session.execute(
        select(Response.status, func.count())
        .where(Response.consultation_id == consultation.id)
        .group_by(Response.status)
    )
    counts = dict(rows.all())
    in_progress = counts.pop(DRAFT, 0)
    return sum(counts.values()), in_progress


def may_set_back(consultation: Consultation) -> bool:
    """A published consultation may become a draft again while nobody has responded to
    it or started its survey: a draft has no respondents."""
    return not consultation.is_draft and response_counts(consultation) == (0, 0)


def publish(consultation: Consultation, actor: str, now: datetime) -> bool:
    """Make a draft public from `now`; from then on it follows its dates.

    The checklist is judged again here, at `now`, whatever the page showed. Surveys
    begun through the preview link are removed: a draft has no real respondents. The
    preview link stops working. Returns False when it was already published (a second
    press); raises NotReady while anything is missing.
    """
    while consultation.is_draft:
        found = missing(consultation, now)
        if found:
            raise NotReady(found)
        # Only the settings just checked are published: a save of the settings form
        # since they were read raises the version, and they are read and checked again.
        done = db.session.execute(
            update(Consultation)
            .where(
                Consultation.id == consultation.id,
                Consultation.published_at.is_(None),
                Consultation.version == consultation.version,
            )
            .values(published_at=now, version=Consultation.version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if done:
            _remove_preview_traces(consultation)
            record_audit(actor, "publish", consultation, "Published")
            db.session.commit()
            return True
        db.session.rollback()
    return False


def _remove_preview_traces(consultation: Consultation) -> None:
    """Delete the surveys begun in a preview, and the preview link itself."""
    drafts = select(Response.id).where(
        Response.consultation_id == consultation.id, Response.status == DRAFT
    )
    db.session.execute(
        delete(ChoiceAnswer)
        .where(ChoiceAnswer.response_id.in_(drafts))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Response)
        .where(Response.consultation_id == consultation.id, Response.status == DRAFT)
        .execution_options(synchronize_session=False)
    )
    preview.revoke_link(consultation)


def unpublish(consultation: Consultation, actor: str) -> bool:
    """Take a published consultation off the public site: a draft again.

    Returns False when it was already a draft; raises HasResponses once anyone has
    responded or started its survey.
    """
    if consultation.is_draft:
        return False
    anyone = exists().where(Response.consultation_id == consultation.id)
    done = db.session.execute(
        update(Consultation)
        .where(Consultation.id == consultation.id, Consultation.published_at.is_not(None), ~anyone)
        .values(published_at=None, version=Consultation.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        db.session.rollback()
        if consultation.is_draft:
            return False
        raise HasResponses(consultation.slug)
    record_audit(actor, "unpublish", consultation, "Set back to draft")
    db.session.commit()
    return True


def suggested_slug(source: Consultation) -> str:
    """A web address for a copy that no consultation has yet: the source's with -2, -3…"""
    # A web address is its own: made "from" itself, it comes back with the ending.
    return settings.free_slug(source.slug)


def copy(source: Consultation, slug: str, title: str, actor: str, now: datetime) -> Consultation:
    """A new draft with the source's settings and survey questions, under a new title
    and web address; its responses, calls, audit log, outcome and preview link stay.

    The settings go through the consultation file, with the file's checks. Raises
    CopyRefused with each problem by its key ("slug", "title", or another of the file's),
    or SlugTaken when another consultation has the web address.
    """
    data = {**files.file_data(source), "slug": slug, "title": title}
    try:
        spec = files.parse_consultation(
            data, source.slug, current_app.config["SITE_ZONE"], draft=True
        )
    except files.ConsultationFileError as error:
        raise CopyRefused(error.by_key) from error
    _refuse_if_taken(spec.slug)
    questions = [
        Question(**{name: getattr(question, name) for name in QUESTION_FIELDS})
        for question in source.questions
    ]
    consultation = Consultation(
        slug=spec.slug, published_at=None, questions=questions, created_at=now, updated_at=now
    )
    files.apply_settings(consultation, spec, created=True)
    db.session.add(consultation)
    record_audit(actor, "copy", consultation, f"Copied from {source.title} ({source.slug})")
    try:
        db.session.commit()
    except IntegrityError:
        # Another admin took the address between the check and the commit.
        db.session.rollback()
        _refuse_if_taken(spec.slug)
        raise
    return consultation


def _refuse_if_taken(slug: str) -> None:
    owner = settings.slug_owner(slug)
    if owner is not None:
        raise settings.SlugTaken(slug, owner)
