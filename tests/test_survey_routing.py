"""The pure routing rules of the survey: which questions apply, which pages a respondent
sees, which answers are kept, and the export row that has the same shape for every route.

The questions are those of tests/support/factories.py's SURVEY_PAGES: page 1 asks everyone; page 2
only community organisations (its `obstacles` is a follow-up to `delivers_now` on the same
page); page 3 only council officers; page 4 everyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.survey import routing
from tests.support.factories import SURVEY_PAGES

ORGANISATION = "Community organisation"
OFFICER = "Council officer"
RESIDENT = "Resident"


@dataclass
class Q:
    """A question as routing sees it."""

    key: str
    page: int
    type: str = "text"
    show_if: dict[str, list[str]] = field(default_factory=dict)


QUESTIONS = [
    Q(key=q["key"], page=number, type=q["type"], show_if=q.get("show_if", {}))
    for number, page in enumerate(SURVEY_PAGES, start=1)
    for q in page["questions"]
]
KEYS = [q.key for q in QUESTIONS]


def question(key: str) -> Q:
    return next(q for q in QUESTIONS if q.key == key)


def keys(questions) -> list[str]:
    return [q.key for q in questions]


# applies


def test_a_question_without_show_if_always_applies():
    assert routing.applies(question("role"), {})
    assert routing.applies(question("confidence"), {"role": RESIDENT})


def test_a_question_applies_when_its_screening_answer_is_one_of_the_listed_values():
    assert routing.applies(question("delivers_now"), {"role": ORGANISATION})
    assert not routing.applies(question("delivers_now"), {"role": OFFICER})
    assert not routing.applies(question("delivers_now"), {})
    assert not routing.applies(question("delivers_now"), {"role": ""})


def test_a_multiple_choice_screening_answer_matches_when_any_choice_is_listed():
    follow_up = Q(key="paperwork_detail", page=2, show_if={"obstacles": ["Paperwork"]})

    assert routing.applies(follow_up, {"obstacles": ["Contract size", "Paperwork"]})
    assert not routing.applies(follow_up, {"obstacles": ["Contract size"]})
    assert not routing.applies(follow_up, {"obstacles": []})


def test_every_condition_of_a_show_if_must_hold():
    both = Q(key="both", page=3, show_if={"role": [OFFICER], "commissions": ["yes"]})

    assert routing.applies(both, {"role": OFFICER, "commissions": "yes"})
    assert not routing.applies(both, {"role": OFFICER, "commissions": "no"})
    assert not routing.applies(both, {"role": RESIDENT, "commissions": "yes"})


def test_numbers_are_compared_as_text():
    small = Q(key="small", page=2, show_if={"staff": ["0", "1"]})

    assert routing.applies(small, {"staff": 1})
    assert not routing.applies(small, {"staff": 2})


# kept_answers


def test_answers_to_questions_the_route_excludes_are_not_kept():
    posted = {
        "role": OFFICER,
        "delivers_now": "yes",  # only for community organisations
        "obstacles": ["Paperwork"],  # follows delivers_now
        "commissions": "yes",
        "confidence": "4",
    }

    kept = routing.kept_answers(QUESTIONS, posted)

    assert kept == {"role": OFFICER, "commissions": "yes", "confidence": "4"}


def test_a_follow_up_is_kept_only_when_its_screening_answer_is_kept_and_matches():
    with_yes = {"role": ORGANISATION, "delivers_now": "yes", "obstacles": ["Paperwork"]}
    with_no = {"role": ORGANISATION, "delivers_now": "no", "obstacles": ["Paperwork"]}
    wrong_role = {"role": RESIDENT, "delivers_now": "yes", "obstacles": ["Paperwork"]}

    assert routing.kept_answers(QUESTIONS, with_yes) == with_yes
    assert routing.kept_answers(QUESTIONS, with_no) == {"role": ORGANISATION, "delivers_now": "no"}
    assert routing.kept_answers(QUESTIONS, wrong_role) == {"role": RESIDENT}


def test_kept_answers_come_in_question_order_and_ignore_unknown_keys():
    posted = {"confidence": "3", "surprise": "x", "postcode": "AB1 2CD", "role": RESIDENT}

    kept = routing.kept_answers(QUESTIONS, posted)

    assert list(kept) == ["role", "postcode", "confidence"]


def test_changing_the_screening_answer_drops_what_no_longer_applies():
    before = routing.kept_answers(
        QUESTIONS,
        {"role": ORGANISATION, "delivers_now": "yes", "obstacles": ["Paperwork"], "story": "x"},
    )

    after = routing.kept_answers(QUESTIONS, {**before, "role": OFFICER})

    assert after == {"role": OFFICER, "story": "x"}


# route


@pytest.mark.parametrize(
    ("role", "pages"),
    [(ORGANISATION, [1, 2, 4]), (OFFICER, [1, 3, 4]), (RESIDENT, [1, 4]), (None, [1, 4])],
)
def test_the_route_keeps_only_pages_with_a_question_that_applies(role, pages):
    answers = {"role": role} if role else {}

    assert routing.route(QUESTIONS, answers) == pages


def test_the_route_ignores_an_excluded_answer_that_would_open_a_page():
    follow_up_page = Q(key="late_payment", page=5, show_if={"delivers_now": ["yes"]})
    questions = [*QUESTIONS, follow_up_page]

    pages = routing.route(questions, {"role": OFFICER, "delivers_now": "yes"})

    assert pages == [1, 3, 4]


# questions_on, with follow-ups on the same page


def test_a_page_shows_its_follow_up_whatever_the_answer_on_that_page():
    """The follow-up's condition is on its own page, so the page shows it with a note."""
    on_page = routing.questions_on(QUESTIONS, 2, {"role": ORGANISATION})

    assert keys(on_page) == ["delivers_now", "obstacles"]
    with_no = routing.questions_on(QUESTIONS, 2, {"role": ORGANISATION, "delivers_now": "no"})
    assert keys(with_no) == ["delivers_now", "obstacles"]


def test_a_page_hides_questions_whose_conditions_on_earlier_pages_fail():
    assert keys(routing.questions_on(QUESTIONS, 3, {"role": OFFICER})) == ["commissions", "budget"]
    assert routing.questions_on(QUESTIONS, 3, {"role": RESIDENT}) == []


def test_a_follow_up_is_hidden_when_the_question_it_follows_is_hidden():
    """Page 2 with a question for everyone: an officer must not see the follow-up to a
    question they are not asked."""
    for_everyone = Q(key="partners", page=2)
    questions = [*QUESTIONS[:4], for_everyone, *QUESTIONS[4:]]

    on_page = routing.questions_on(questions, 2, {"role": OFFICER})

    assert keys(on_page) == ["partners"]


def test_a_follow_up_of_a_follow_up_is_shown_when_the_chain_is_shown():
    deeper = Q(key="paperwork_detail", page=2, show_if={"obstacles": ["Paperwork"]})
    questions = [*QUESTIONS[:4], deeper, *QUESTIONS[4:]]

    on_page = routing.questions_on(questions, 2, {"role": ORGANISATION})

    assert keys(on_page) == ["delivers_now", "obstacles", "paperwork_detail"]


def test_follow_up_of_names_only_conditions_on_the_same_page():
    mixed = Q(key="mixed", page=2, show_if={"role": [ORGANISATION], "delivers_now": ["yes"]})

    assert routing.follow_up_of(mixed, {"delivers_now", "obstacles", "mixed"}) == {
        "delivers_now": ["yes"]
    }
    assert routing.follow_up_of(question("role"), {"role", "postcode"}) == {}


# next and previous page


def test_next_and_previous_page_follow_the_route():
    pages = [1, 3, 4]

    assert routing.next_page(pages, 1) == 3
    assert routing.next_page(pages, 3) == 4
    assert routing.next_page(pages, 4) is None
    assert routing.previous_page(pages, 4) == 3
    assert routing.previous_page(pages, 3) == 1
    assert routing.previous_page(pages, 1) is None


def test_next_and_previous_page_from_a_page_off_the_route():
    pages = [1, 3, 4]

    assert routing.next_page(pages, 2) == 3
    assert routing.previous_page(pages, 2) == 1


# first_unanswered


def test_first_unanswered_is_the_first_page_on_the_route_not_yet_sent():
    answers = {"role": OFFICER}

    assert routing.first_unanswered(QUESTIONS, {}, []) == 1
    assert routing.first_unanswered(QUESTIONS, answers, [1]) == 3
    assert routing.first_unanswered(QUESTIONS, answers, [1, 3]) == 4
    assert routing.first_unanswered(QUESTIONS, answers, [1, 3, 4]) is None


def test_first_unanswered_skips_pages_visited_on_another_route():
    """A page sent before the role changed does not count once it is off the route."""
    answers = {"role": OFFICER}

    assert routing.first_unanswered(QUESTIONS, answers, [1, 2, 4]) == 3


# export_row


def test_export_row_has_one_value_per_question_key_in_question_order():
    answers = {
        "role": ORGANISATION,
        "postcode": "AB1 2CD",
        "delivers_now": "yes",
        "obstacles": ["Paperwork", "Other: Insurance"],
        "confidence": "2",
        "story": "It is hard.",
    }

    row = routing.export_row(QUESTIONS, answers)

    assert list(row) == KEYS
    assert row == {
        "role": ORGANISATION,
        "postcode": "AB1 2CD",
        "delivers_now": "yes",
        "obstacles": "Paperwork; Other: Insurance",
        "commissions": "",
        "budget": "",
        "confidence": "2",
        "story": "It is hard.",
        "contact_email": "",
    }


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"role": RESIDENT, "confidence": "5"},
        {"role": OFFICER, "commissions": "no", "budget": 12, "confidence": "1"},
        {"role": ORGANISATION, "delivers_now": "no", "confidence": "3"},
    ],
)
def test_export_row_has_the_same_columns_whatever_the_route(answers):
    row = routing.export_row(QUESTIONS, answers)

    assert list(row) == KEYS
    assert all(isinstance(value, str) for value in row.values())


def test_export_row_leaves_skipped_and_excluded_answers_empty():
    """An answer the route excluded is not exported even if it were in the stored answers."""
    row = routing.export_row(
        QUESTIONS, {"role": OFFICER, "delivers_now": "yes", "obstacles": ["Paperwork"]}
    )

    assert row["delivers_now"] == ""
    assert row["obstacles"] == ""
    assert row["commissions"] == ""


def test_export_row_writes_numbers_plainly():
    row = routing.export_row(QUESTIONS, {"role": OFFICER, "budget": 12.0})
    assert row["budget"] == "12"

    row = routing.export_row(QUESTIONS, {"role": OFFICER, "budget": 2.5})
    assert row["budget"] == "2.5"


def test_format_answer_joins_multiple_choices_with_semicolons():
    assert routing.format_answer(["Paperwork", "Payment terms"]) == "Paperwork; Payment terms"
    assert routing.format_answer([]) == ""
    assert routing.format_answer(None) == ""
    assert routing.format_answer(0) == "0"
