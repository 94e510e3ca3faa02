"""The survey's questions as read-only copies kept between requests (app/survey/questions.py).

The copies are found by the consultation's id and `questions_stamp`; what matters is that
any change to a question gives a new stamp in the same transaction, so that a process
holding copies sees the change at its next request, and that the copies spare the
database: a survey page served twice reads the question table once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import Consultation, Question
from app.survey.questions import survey_questions
from tests.support.factories import SLUG, SURVEY_PAGES

PAGE_1 = f"/consultations/{SLUG}/survey/pages/1"


def _stamp(consultation_id: int) -> int:
    return db.session.scalar(
        select(Consultation.questions_stamp).where(Consultation.id == consultation_id)
    )


def _first_question(consultation_id: int) -> Question:
    return db.session.scalars(
        select(Question)
        .where(Question.consultation_id == consultation_id)
        .order_by(Question.page, Question.position)
    ).first()


@pytest.fixture
def statements(app):
    """The SQL statements run while the test looks."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_the_copies_are_the_questions_in_order(app, survey):
    with app.app_context():
        consultation = db.session.get(Consultation, survey.id)
        copies = survey_questions(consultation)
        originals = list(consultation.questions)
        assert [q.key for q in copies] == [q["key"] for p in SURVEY_PAGES for q in p["questions"]]
        for copy, original in zip(copies, originals, strict=True):
            for name in ("id", "key", "page", "position", "type", "prompt", "hint", "required"):
                assert getattr(copy, name) == getattr(original, name), name
            assert copy.options == original.options
            assert copy.settings == original.settings
            assert copy.show_if == original.show_if


@pytest.mark.parametrize("change", ["insert", "update", "delete"])
def test_every_change_to_a_question_gives_its_consultation_a_new_stamp(app, survey, change):
    with app.app_context():
        before = _stamp(survey.id)
        question = _first_question(survey.id)
        if change == "insert":
            db.session.add(
                Question(
                    consultation_id=survey.id,
                    key="added",
                    page=9,
                    position=1,
                    type="text",
                    prompt="Anything else?",
                )
            )
        elif change == "update":
            question.prompt = "Which of these describes you best?"
        else:
            db.session.delete(question)
        db.session.commit()
        assert _stamp(survey.id) != before


def test_a_question_moved_to_another_survey_changes_both(app, survey, make_consultation):
    other = make_consultation(slug="another-consultation")
    with app.app_context():
        stamps = {survey.id: _stamp(survey.id), other.id: _stamp(other.id)}
        _first_question(survey.id).consultation_id = other.id
        db.session.commit()
        for consultation_id, stamp in stamps.items():
            assert _stamp(consultation_id) != stamp


def test_a_consultation_already_loaded_reads_the_new_stamp_after_a_flush(app, survey):
    with app.app_context():
        consultation = db.session.get(Consultation, survey.id)
        old_copies = survey_questions(consultation)
        _first_question(survey.id).prompt = "Changed before the commit"
        db.session.flush()
        assert survey_questions(consultation)[0].prompt == "Changed before the commit"
        assert old_copies[0].prompt != "Changed before the commit"
        db.session.rollback()


def test_a_page_served_twice_reads_the_questions_once(client, survey, statements):
    assert client.get(PAGE_1).status_code == 200
    statements.clear()
    assert client.get(PAGE_1).status_code == 200
    assert statements, "the second request ran no SQL at all: nothing was looked at"
    assert not [s for s in statements if "FROM question" in s]


def test_a_changed_prompt_shows_at_the_next_request(app, client, survey):
    assert "Which of these describes you best?" not in client.get(PAGE_1).get_data(as_text=True)
    with app.app_context():
        _first_question(survey.id).prompt = "Which of these describes you best?"
        db.session.commit()
    assert "Which of these describes you best?" in client.get(PAGE_1).get_data(as_text=True)
