"""What the survey's steps ask of the database, statement by statement.

Each step reads the consultation and this browser's draft. Saving a page or the details
writes the draft in one update, which also checks that the draft is still this browser's;
sending claims the draft and reads its row back in one statement. Nothing is read back
after a commit: the request already holds what it wrote, and a survey in its last hours
is answered by many people at once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.support.pages import where
from tests.support.survey import (
    CHECK,
    CONFIRMATION,
    DETAILS,
    DETAILS_URL,
    ORGANISATION_ROUTE,
    answer,
    open_step,
    page_url,
    send_form,
    the_response,
)


@pytest.fixture
def statements(app):
    """The SQL statements run while the test looks, each on one line."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _of_responses(statements: list[str]) -> list[str]:
    """The statements that read or write survey responses."""
    return [
        s
        for s in statements
        if s.startswith(("SELECT response.", "UPDATE response", "INSERT INTO response"))
    ]


def _sent_after(statements: list[str], shown, data: dict, client) -> str:
    statements.clear()
    sent = send_form(client, shown, data)
    assert sent.status_code == 303
    return where(sent)


def test_saving_a_page_reads_the_draft_once_and_writes_it_once(client, survey, statements):
    answer(client, 1, ORGANISATION_ROUTE[1])
    shown = open_step(client, page_url(2))

    assert _sent_after(statements, shown, ORGANISATION_ROUTE[2], client) == page_url(4)

    touching = _of_responses(statements)
    assert [s.split()[0] for s in touching] == ["SELECT", "UPDATE"], touching
    assert "SET answers=" in touching[1]
    assert len([s for s in statements if s.startswith("SELECT consultation.")]) == 1
    assert not [s for s in statements if "FROM question" in s]


def test_the_details_are_written_in_one_update(client, survey, statements):
    for number, data in ORGANISATION_ROUTE.items():
        answer(client, number, data)
    shown = open_step(client, DETAILS_URL)

    assert _sent_after(statements, shown, DETAILS, client) == CHECK

    touching = _of_responses(statements)
    assert [s.split()[0] for s in touching] == ["SELECT", "UPDATE"], touching
    assert "respond_as=" in touching[1] and "consent=" in touching[1]
    assert len([s for s in statements if s.startswith("SELECT consultation.")]) == 1


def test_sending_reads_the_response_back_in_its_own_update(client, clock, survey, statements):
    for number, data in ORGANISATION_ROUTE.items():
        answer(client, number, data)
    assert send_form(client, open_step(client, DETAILS_URL), DETAILS).status_code == 303
    shown = open_step(client, CHECK)
    clock.advance(seconds=5)

    assert _sent_after(statements, shown, {}, client) == CONFIRMATION

    touching = _of_responses(statements)
    claim = next(i for i, s in enumerate(touching) if "SET status=" in s)
    assert "RETURNING" in touching[claim]
    assert not [s for s in touching[claim:] if s.startswith("SELECT")], touching
    assert len([s for s in statements if s.startswith("INSERT INTO choice_answer")]) == 1
    assert len([s for s in statements if s.startswith("SELECT consultation.")]) == 1
    assert the_response().status == "submitted"
