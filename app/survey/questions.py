"""A survey's questions as read-only copies, kept by each process until they change.

Every survey request needs all the questions, and routing reads their attributes many
times over. As ORM objects they cost a query to load, and after each commit another
query apiece to reload. The copies are kept per process under the consultation's id and
`questions_stamp`, which any insert, change or deletion of a question replaces in the
same transaction; the consultation's row is loaded on every request anyway, so a change
is seen by every process at its next request, at no cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.util import identity_key

from app.extensions import db
from app.models import Consultation, Question
from app.models.types import new_stamp

# Far more surveys than a site has open at once; past this the oldest copies go.
KEPT_SURVEYS = 64

_kept: dict[tuple[int, int], tuple[SurveyQuestion, ...]] = {}
# The consultations whose questions a session has changed in the flush under way.
_CHANGED = "survey_questions_changed"


@dataclass(frozen=True, slots=True)
class SurveyQuestion:
    """A question as it was read: its attributes are those of `Question`. Never change
    its options, settings or show_if: other requests share them."""

    id: int
    consultation_id: int
    key: str
    page: int
    page_title: str
    position: int
    type: str
    prompt: str
    hint: str
    required: bool
    options: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    show_if: dict[str, list[str]] = field(default_factory=dict)


def survey_questions(consultation: Consultation) -> tuple[SurveyQuestion, ...]:
    """The consultation's questions in order (page, then position), as copies."""
    kept_as = (consultation.id, consultation.questions_stamp)
    questions = _kept.get(kept_as)
    if questions is None:
        questions = _read(consultation.id)
        if len(_kept) >= KEPT_SURVEYS:
            del _kept[next(iter(_kept))]
        _kept[kept_as] = questions
    return questions


def _read(consultation_id: int) -> tuple[SurveyQuestion, ...]:
    columns = [getattr(Question, name) for name in SurveyQuestion.__slots__]
    rows = db.session.execute(
        select(*columns)
        .where(Question.consultation_id == consultation_id)
        .order_by(Question.page, Question.position)
    )
    return tuple(
        SurveyQuestion(
            **{
                **row._asdict(),
                "options": list(row.options or []),
                "settings": dict(row.settings or {}),
                "show_if": dict(row.show_if or {}),
            }
        )
        for row in rows
    )


@event.listens_for(Question, "after_insert")
@event.listens_for(Question, "after_update")
@event.listens_for(Question, "after_delete")
def _count_the_change(_mapper, connection, question: Question) -> None:
    # A question moved to another survey changes both.
    moved_from = inspect(question).attrs.consultation_id.history.deleted or ()
    changed = {question.consultation_id, *moved_from}
    table = Consultation.__table__
    connection.execute(
        update(table).where(table.c.id.in_(changed)).values(questions_stamp=new_stamp())
    )
    session = object_session(question)
    if session is not None:
        session.info.setdefault(_CHANGED, set()).update(changed)


@event.listens_for(Session, "after_flush_postexec")
def _forget_the_old_count(session: Session, _context) -> None:
    """A consultation loaded before its questions changed reads the new stamp."""
    for consultation_id in session.info.pop(_CHANGED, ()):
        consultation = session.identity_map.get(identity_key(Consultation, consultation_id))
        if consultation is not None:
            session.expire(consultation, ["questions_stamp"])
