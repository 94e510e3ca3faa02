"""What the survey builder's pages do to the database: read the survey, count who has
answered it, and save a change with its audit event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select

from app.consultations.files import question_rows, survey_data
from app.consultations.survey_schema import SurveySpec
from app.extensions import db
from app.models import (
    DRAFT,
    SUBMITTED,
    ChoiceAnswer,
    Consultation,
    Response,
    SurveyVersion,
    record_audit,
)
from app.survey import change_kinds

CHANNEL = "survey"


class Stale(Exception):
    """The survey changed since the page that sent the form was loaded."""


@dataclass(frozen=True)
class Impact:
    """Who a structural change touches: the responses sent and the surveys in progress
    (those sent to the survey as it is now among them), and how often each option the
    change removes was chosen."""

    responses: int
    drafts: int
    current: int  # responses that answered the survey as it is now
    chosen: tuple[tuple[str, str, int], ...]  # (question prompt, option, responses)

    @property
    def anyone(self) -> bool:
        return bool(self.responses or self.drafts)


def survey_of(consultation: Consultation) -> dict[str, Any] | None:
    """The survey as the builder edits it: the file's `survey` shape."""
    return survey_data(consultation)


def answered(consultation: Consultation) -> bool:
    """Whether any response or draft has answered the survey: its keys are then locked."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Response.consultation_id == consultation.id,
                    Response.channel == CHANNEL,
                    Response.survey_version.is_not(None),
                )
            )
        )
    )


def keys_ever(consultation: Consultation) -> set[str]:
    """Every key any version of the survey has used: a new question never takes one, so
    its answers are never read as answers to a question taken out."""
    keys = {q.key for q in consultation.questions}
    for survey in db.session.scalars(
        select(SurveyVersion.survey).where(SurveyVersion.consultation_id == consultation.id)
    ):
        keys.update(q["key"] for page in survey["pages"] for q in page["questions"])
    return keys


def impact(consultation: Consultation, old: dict | None, new: dict | None) -> Impact:
    """Who has answered the survey, in any version, and the choices a change would remove."""
    now_answered = Response.survey_version == consultation.survey_version
    counts = db.session.execute(
        select(Response.status, now_answered, func.count())
        .where(
            Response.consultation_id == consultation.id,
            Response.channel == CHANNEL,
            Response.survey_version.is_not(None),  # a preview's drafts are nobody's
        )
        .group_by(Response.status, now_answered)
    ).all()
    sent = {current: count for status, current, count in counts if status == SUBMITTED}
    drafts = sum(count for status, _current, count in counts if status == DRAFT)
    removed = _removed_choices(consultation, old, new)
    return Impact(sum(sent.values()), drafts, sent.get(True, 0), removed)


def _removed_choices(consultation: Consultation, old: dict | None, new: dict | None):
    """(prompt, option, how many chose it) for each option the change takes away."""
    renamed = change_kinds.option_renames(old, new)
    after = {q["key"]: q for page in (new or {}).get("pages", []) for q in page["questions"]}
    removed = []
    for page in (old or {}).get("pages", []):
        for question in page["questions"]:
            kept = after.get(question["key"], {}).get("options", [])
            for option in question.get("options", []):
                if option not in kept and option not in renamed.get(question["key"], {}):
                    # Named as the change will leave it, as its list of changes names it.
                    named = after.get(question["key"], question)["prompt"]
                    removed.append((question["key"], named, option))
    if not removed:
        return ()
    counted = dict(
        db.session.execute(
            select(ChoiceAnswer.question_key + "\n" + ChoiceAnswer.option, func.count())
            .where(ChoiceAnswer.consultation_id == consultation.id)
            .where(ChoiceAnswer.question_key.in_({key for key, _, _ in removed}))
            .group_by(ChoiceAnswer.question_key, ChoiceAnswer.option)
        ).all()
    )
    return tuple(
        (prompt, option, counted.get(f"{key}\n{option}", 0)) for key, prompt, option in removed
    )


@dataclass(frozen=True)
class Detail:
    """What the audit log says of a change: what was done, and to what before and after."""

    what: str
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{self.what} Before: {_as_text(self.before)}. After: {_as_text(self.after)}."


def save(
    consultation: Consultation, survey: dict | None, loaded: int | None, actor: str, detail: Detail
) -> None:
    """Make `survey` the consultation's questions, audited. Commits. Raises Stale if the
    questions changed since `loaded` (their stamp when the admin's page was drawn): the
    change was worked out on a survey that is no longer there."""
    if consultation.questions_stamp != loaded:
        raise Stale
    consultation.questions.clear()
    db.session.flush()  # the old rows go before their keys are used again
    if survey is not None:
        consultation.questions.extend(question_rows(SurveySpec.model_validate(survey)))
    record_audit(actor, "survey", consultation, str(detail))
    db.session.commit()


def _as_text(value: Any) -> str:
    """A page or question, before or after, as the audit log keeps it: compact JSON."""
    if value is None:
        return "nothing"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
