"""The survey as a channel: how its responses are named, counted and described."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from app.extensions import db
from app.intake.channel import Channel, Rows
from app.models import ChoiceAnswer, Question, Response
from app.survey import results, routing, versions
from app.survey.forms import choice_pairs
from app.survey.questions import survey_questions
from app.web.forms import PUBLISH_CHOICES

RESPOND_AS = {"individual": "As an individual", "organisation": "For an organisation"}


class SurveyChannel(Channel):
    name = "survey"
    label = "Survey"
    count_label = "Survey responses"
    email_label = "Survey response"
    reference_prefix = "SV"
    endpoint = "survey.start"
    change_endpoint = "survey.change"
    title = "Answer the survey"
    description = (
        "Questions with set answers, and space to say more. It takes about 10"
        " minutes, and you can save your answers and come back later."
    )

    def answer_rows(self, response: Response) -> Rows:
        """The answers under the words they were given for: the version the response answered."""
        questions = versions.questions_answered(response)
        return [(q.prompt, text) for q, text in answer_rows(questions, response.answers)]

    def detail_rows(self, response: Response) -> Rows:
        """The respondent's details, as the check page and the emails list them."""
        rows = [("Responding", RESPOND_AS.get(response.respond_as, ""))]
        if response.organisation:
            rows.append(("Organisation", response.organisation))
        return rows + [
            ("Name", response.name or "Not given"),
            ("Email address", response.email or "Not given"),
            ("May we publish your response?", PUBLISH_CHOICES.get(response.publish, "")),
        ]

    def emailed_rows(self, response: Response) -> Rows:
        answers = [(prompt, text or "Not answered") for prompt, text in self.answer_rows(response)]
        return answers + self.detail_rows(response)

    def submission_extras(self, response: Response) -> dict[str, Any]:
        return {"respondent_type": RESPOND_AS.get(response.respond_as, "")}

    def after_change(self, response: Response) -> None:
        """Count the changed answers in the charts instead of the ones they replace."""
        db.session.execute(
            delete(ChoiceAnswer)
            .where(ChoiceAnswer.response_id == response.id)
            .execution_options(synchronize_session=False)
        )
        results.record(response, survey_questions(response.consultation))


SURVEY = SurveyChannel()


def answer_rows(questions: list[Question], answers: dict[str, Any]) -> list[tuple[Question, str]]:
    """(question, answer as people read it) for each question on the route, in order."""
    kept = routing.kept_answers(questions, answers)
    return [(q, _as_read(q, kept.get(q.key))) for q in questions if routing.applies(q, kept)]


def _as_read(question: Question, answer: Any) -> str:
    """An answer in the words the respondent chose: 'Yes' rather than the stored 'yes'."""
    if question.type in ("yesno", "scale") and answer is not None:
        return dict(choice_pairs(question)).get(str(answer), str(answer))
    return routing.format_answer(answer)
