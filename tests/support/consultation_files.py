"""What a consultation file carries, read back from the database, for round-trip tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, inspect, select

from app.extensions import db
from app.models import AuditEvent, Consultation, Question

# What a file does not carry: the row's identity and times, and the state an admin sets.
NOT_IN_THE_FILE = {
    "id",
    "override",
    "override_changed_at",
    "outcome",
    "outcome_published_at",
    "published_at",
    "version",
    # Renewed by every change to the questions, so that copies kept of them are known to
    # be out of date: a mark of this database's row, not of the consultation.
    "questions_stamp",
    # How many times this database's copy of the survey has changed since it was answered.
    "survey_version",
    "preview_hash",
    "preview_made_at",
    "created_at",
    "updated_at",
}
QUESTION_IDS = {"id", "consultation_id"}


def found(slug: str) -> Consultation:
    """The consultation as stored now."""
    db.session.expire_all()
    consultation = db.session.scalar(select(Consultation).filter_by(slug=slug))
    assert consultation is not None, f"no consultation {slug}"
    return consultation


def columns(row: Any, model: type, left_out: set[str]) -> dict[str, Any]:
    return {
        attribute.key: getattr(row, attribute.key)
        for attribute in inspect(model).column_attrs
        if attribute.key not in left_out
    }


def stored(slug: str) -> dict[str, Any]:
    """Every column of the consultation that its file carries, and of each question."""
    consultation = found(slug)
    questions = [columns(question, Question, QUESTION_IDS) for question in consultation.questions]
    return {**columns(consultation, Consultation, NOT_IN_THE_FILE), "questions": questions}


def empty_database() -> None:
    """No consultation, question or audit event left: as a database just made (an admin
    signed in stays signed in)."""
    db.session.rollback()
    for model in (Question, AuditEvent, Consultation):
        db.session.execute(delete(model))
    db.session.commit()
