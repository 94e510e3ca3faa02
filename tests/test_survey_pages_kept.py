"""A survey question with nothing answered and no error is drawn once and kept
(templates/survey/_question.html, app.web.fragments): it is drawn exactly as afresh, and an
answer or an error is never kept, so one respondent's never reaches another."""

from __future__ import annotations

import copy
import re

import pytest

from tests.support.clients import new_browser
from tests.support.factories import SURVEY_PAGES
from tests.support.pages import page, text_of, value_of
from tests.support.survey import (
    COUNCIL,
    OFFICER_ROUTE,
    ORGANISATION_ROUTE,
    answer,
    page_url,
    send_form,
)

OWN_VALUES = re.compile(r'(name="(?:csrf_token|loaded)" type="hidden" value=")[^"]*"')


def drawn(browser, number: int) -> str:
    shown = browser.get(page_url(number))
    assert shown.status_code == 200, shown.status_code
    return OWN_VALUES.sub(r'\1"', shown.get_data(as_text=True))


@pytest.mark.parametrize(
    "route", [ORGANISATION_ROUTE, OFFICER_ROUTE], ids=["organisation", "council officer"]
)
def test_every_kept_question_is_drawn_as_afresh(app, survey, route):
    """Every type of question (a follow-up with its note, choices with Other, a number,
    a scale, a long text with its limit, an email), on the way through each route."""
    browser = new_browser(app)
    for number, answers in route.items():
        kept = [drawn(browser, number), drawn(browser, number)]
        app.jinja_env.auto_reload = True  # nothing is kept while templates reload
        try:
            afresh = drawn(browser, number)
        finally:
            app.jinja_env.auto_reload = False
        assert kept == [afresh, afresh], number
        assert 'class="question"' in afresh
        answer(browser, number, answers)


def checked(shown, name: str) -> list[str]:
    boxes = page(shown).find_all("input", attrs={"name": name, "checked": True})
    return [box["value"] for box in boxes]


def test_an_answer_or_an_error_stays_with_its_respondent(app, survey):
    ada, bea = new_browser(app), new_browser(app)
    blank = drawn(bea, 1)
    answer(ada, 1, OFFICER_ROUTE[1])

    again = ada.get(page_url(1))
    assert checked(again, "q_role") == [COUNCIL]
    assert value_of(again, "q_postcode") == OFFICER_ROUTE[1]["q_postcode"]
    assert drawn(bea, 1) == blank

    refused = send_form(ada, again, {"q_role": None, "q_postcode": "x" * 5000})
    assert refused.status_code == 422
    assert page(refused).find(class_="field-error") is not None
    assert drawn(bea, 1) == blank
    shown = bea.get(page_url(1))
    assert page(shown).find(class_="field-error") is None
    assert checked(shown, "q_role") == []


def test_surveys_asking_by_the_same_keys_each_show_their_own_words(app, survey, make_survey):
    """Kept by what a question shows, not by its key: another survey's question with the
    same key, type and place has its own prompt, hint and choices."""
    pages = copy.deepcopy(SURVEY_PAGES[:1])
    role = pages[0]["questions"][0]
    role.update(prompt="Who are you?", hint="Pick the nearest.", options=["Parent", "Pupil"])
    make_survey(slug="schools", survey={"pages": pages})
    browser = new_browser(app)
    ours = page(browser.get(page_url(1))).find(class_="question")
    theirs = page(browser.get("/consultations/schools/survey/pages/1")).find(class_="question")
    assert "Who are you?" not in text_of(ours)
    assert text_of(theirs).startswith("Who are you? Pick the nearest.")
    assert [box["value"] for box in theirs.find_all("input")] == ["Parent", "Pupil"]
