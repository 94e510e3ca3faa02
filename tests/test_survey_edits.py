"""The survey builder's actions (app/survey/edits.py): each change gives a sound survey or a
refusal in words, never a survey the file's checks would reject.

The examples start from tests/support/factories.py's SURVEY_PAGES: page 1 asks everyone
"Which best describes you?" (`role`); page 2 only community organisations, with "What gets
in the way?" (`obstacles`) a follow-up to "Do you deliver public service contracts
today?" (`delivers_now`) on the same page; page 3 only council officers; page 4 everyone.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from app.consultations.files import survey_data
from app.consultations.survey_schema import QUESTION_TYPES, survey_problems
from app.survey import change_kinds, edits, survey_fields
from app.survey.edits import Edited, Refused
from tests.support.factories import SURVEY_PAGES

ROLE = "'Which best describes you?'"
DELIVERS = "'Do you deliver public service contracts today?'"
OBSTACLES = "'What gets in the way?'"


def survey() -> dict[str, Any]:
    """A fresh copy of the example survey."""
    return {"pages": copy.deepcopy(SURVEY_PAGES)}


def edited(outcome: edits.Outcome) -> dict[str, Any] | None:
    """The survey an action made; it must have made one."""
    assert isinstance(outcome, Edited), outcome
    assert outcome.survey is None or survey_problems(outcome.survey) == []
    return outcome.survey


def keys(survey: dict[str, Any] | None) -> list[list[str]]:
    """Each page's question keys, in order."""
    return [[q["key"] for q in page["questions"]] for page in (survey or {"pages": []})["pages"]]


def question(survey: dict[str, Any], key: str) -> dict[str, Any]:
    return next(q for page in survey["pages"] for q in page["questions"] if q["key"] == key)


# --- building the example from nothing ----------------------------------------------------


def build_the_example() -> dict[str, Any]:
    """SURVEY_PAGES made through the builder's actions, one question at a time."""
    built = None
    for number, page in enumerate(SURVEY_PAGES, start=1):
        for position, wanted in enumerate(page["questions"]):
            fields = {name: value for name, value in wanted.items() if name != "show_if"}
            if position == 0:
                built = edited(edits.add_question(built, fields, new_page_title=page["title"]))
            else:
                built = edited(edits.add_question(built, fields, page=number))
            if "show_if" in wanted:
                built = edited(edits.set_condition(built, wanted["key"], wanted["show_if"]))
    return built


def test_the_example_survey_built_from_nothing_is_the_same_as_the_file():
    assert build_the_example() == {"pages": SURVEY_PAGES}


def test_the_built_survey_is_what_a_consultation_imported_from_the_file_holds(survey):
    assert survey_data(survey) == build_the_example()


def test_an_action_never_changes_the_survey_it_was_given():
    given = survey()

    edited(edits.delete_question(given, "role"))
    edited(edits.edit_question(given, "role", {"key": "who", "options": ["A", "B"]}))
    edited(edits.move_question_to_page(given, "postcode", 4))

    assert given == survey()


# --- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "taken", "key"),
    [
        ("Which best describes you?", [], "which_best_describes_you"),
        ("Which best describes you?", ["which_best_describes_you"], "which_best_describes_you_2"),
        ("Why?", ["why", "why_2"], "why_3"),
        ("Où habitez-vous ?", [], "ou_habitez_vous"),
        ("2027: what comes next?", [], "q_2027_what_comes_next"),
        ("???", [], "q"),
        ("日本語", ["q"], "q_2"),
        (
            "How far do you agree that the council buys local services well?",
            [],
            "how_far_do_you_agree_that_the_council",
        ),
        ("x" * 50, [], "x" * 40),
    ],
)
def test_a_key_is_made_from_the_prompt(prompt, taken, key):
    assert survey_fields.key_for(prompt, taken) == key


def test_a_made_key_stays_within_40_characters_when_numbered():
    prompt = "How far do you agree that the council buys local services well?"
    first = survey_fields.key_for(prompt)

    key = survey_fields.key_for(prompt, [first])

    assert key == "how_far_do_you_agree_that_the_council_2"
    assert len(key) <= 40


# --- adding a question -------------------------------------------------------------------------


def test_a_new_question_goes_to_the_end_of_the_page_with_a_key_made_from_its_prompt():
    after = edited(edits.add_question(survey(), {"type": "longtext", "prompt": "Why?"}, page=1))

    assert keys(after)[0] == ["role", "postcode", "why"]
    assert question(after, "why") == {"key": "why", "type": "longtext", "prompt": "Why?"}


def test_a_new_question_on_a_new_page_makes_the_page_at_the_end():
    fields = {"type": "yesno", "prompt": "Anything else?", "key": "more"}

    after = edited(edits.add_question(survey(), fields, new_page_title="  Last words "))

    assert after["pages"][-1] == {
        "title": "Last words",
        "questions": [{"key": "more", "type": "yesno", "prompt": "Anything else?"}],
    }


def test_options_may_be_text_one_a_line_and_settings_that_do_not_fit_the_type_are_left_out():
    fields = {
        "type": "single",
        "prompt": " Which woods? ",
        "hint": "",
        "required": True,
        "options": "Oak\n\n Ash \nWoodland\n",
        "allow_other": True,  # only multiple choice questions take it
        "min": 3,
        "max_length": 20,
    }

    after = edited(edits.add_question(survey(), fields, page=4))

    assert question(after, "which_woods") == {
        "key": "which_woods",
        "type": "single",
        "prompt": "Which woods?",
        "required": True,
        "options": ["Oak", "Ash", "Woodland"],
    }


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"type": "text", "prompt": "  "}, "Enter the question", "prompt"),
        ({"type": "ranking", "prompt": "Rank these"}, "Select the type of question", "type"),
        (
            {"type": "single", "prompt": "Which?", "options": ["Only one"]},
            "Enter at least 2 options, one on each line",
            "options",
        ),
        (
            {"type": "multi", "prompt": "Which?", "options": ["Oak", "Ash", " Oak"]},
            "'Oak' is listed more than once. Enter each option once",
            "options",
        ),
        (
            {"type": "single", "prompt": "Which?", "options": ["Oak", "A" * 201]},
            "Each option must be 200 characters or fewer",
            "options",
        ),
        (
            {"type": "number", "prompt": "How many?", "min": 10, "max": 10},
            "The highest number must be more than the lowest number",
            "max",
        ),
        (
            {"type": "number", "prompt": "How many?", "min": "ten"},
            "The lowest number must be a number",
            "min",
        ),
        (
            {"type": "text", "prompt": "Why?", "max_length": 0},
            "The longest answer must be a whole number of characters from 1 to 50,000",
            "max_length",
        ),
        (
            {"type": "text", "prompt": "Why?", "key": "Why"},
            "The key must start with a letter and use only lower-case letters, digits and"
            " underscores",
            "key",
        ),
        (
            {"type": "text", "prompt": "Why?", "key": "postcode"},
            "'What is your postcode?' already uses this key. Enter a different key",
            "key",
        ),
        (
            {"type": "text", "prompt": "Why\x00?"},
            "Remove the hidden control character, which nobody can see or type",
            "prompt",
        ),
    ],
)
def test_a_question_that_cannot_be_asked_is_refused_in_words(fields, message, field):
    assert edits.add_question(survey(), fields, page=1) == Refused(message, field)


@pytest.mark.parametrize(
    ("page", "title", "message", "field"),
    [
        (99, "", "There is no page 99. Choose a page from 1 to 4", "page"),
        (0, "", "There is no page 0. Choose a page from 1 to 4", "page"),
        (None, " ", "Enter a title for the page", "new_page_title"),
        (None, "T" * 201, "The page title must be 200 characters or fewer", "new_page_title"),
    ],
)
def test_a_question_is_added_to_a_page_that_exists_or_a_new_page_with_a_title(
    page, title, message, field
):
    fields = {"type": "text", "prompt": "Why?"}

    assert edits.add_question(survey(), fields, page, title) == Refused(message, field)


def test_the_first_question_of_a_survey_needs_a_new_page():
    fields = {"type": "text", "prompt": "Why?"}

    assert edits.add_question(None, fields, page=1) == Refused(
        "The survey has no pages yet", "page"
    )
    assert edited(edits.add_question(None, fields, new_page_title="Start")) == {
        "pages": [
            {"title": "Start", "questions": [{"key": "why", "type": "text", "prompt": "Why?"}]}
        ]
    }


# --- editing a question ----------------------------------------------------------------------


def test_a_wording_fix_keeps_everything_else():
    outcome = edits.edit_question(survey(), "role", {"prompt": "Which describes you?"})

    after = edited(outcome)
    assert outcome.notes == ()
    assert question(after, "role") == {
        **question(survey(), "role"),
        "prompt": "Which describes you?",
    }


def test_a_changed_key_is_followed_by_the_conditions_that_name_it():
    after = edited(edits.edit_question(survey(), "role", {"key": "who"}))

    assert keys(after)[0] == ["who", "postcode"]
    assert question(after, "delivers_now")["show_if"] == {"who": ["Community organisation"]}
    assert question(after, "budget")["show_if"] == {"who": ["Council officer"]}


def test_a_blank_key_keeps_the_key_even_when_the_prompt_changes():
    after = edited(edits.edit_question(survey(), "role", {"key": " ", "prompt": "Who are you?"}))

    assert keys(after)[0] == ["role", "postcode"]


def test_a_locked_key_cannot_change():
    outcome = edits.edit_question(survey(), "role", {"key": "who"}, key_locked=True)

    assert outcome == Refused(
        "The key cannot be changed once the survey has responses, as it names the column of"
        " the answers in the export",
        "key",
    )
    assert edited(edits.edit_question(survey(), "role", {"key": "role"}, key_locked=True))


def test_a_question_that_no_longer_exists_cannot_be_changed():
    assert edits.edit_question(survey(), "gone", {"prompt": "Why?"}) == Refused(
        "This question no longer exists. It may have been deleted."
    )


def test_an_option_relabelled_in_place_keeps_its_conditions_under_the_new_label():
    options = ["Community organisation", "Council staff", "Resident"]

    outcome = edits.edit_question(survey(), "role", {"options": options})

    after = edited(outcome)
    assert outcome.notes == ()
    assert question(after, "commissions")["show_if"] == {"role": ["Council staff"]}


def test_removing_an_option_removes_the_conditions_on_it_and_says_who_now_sees_what():
    options = ["Community organisation", "Resident"]

    outcome = edits.edit_question(survey(), "role", {"options": options})

    after = edited(outcome)
    assert "show_if" not in question(after, "commissions")
    assert "show_if" not in question(after, "budget")
    assert outcome.notes == (
        "'Do you commission services?' is now shown to everyone who reaches page 3, because"
        f" it depended on {ROLE}, which no longer offers 'Council officer'.",
        "'Roughly how many contracts do you manage?' is now shown to everyone who reaches"
        f" page 3, because it depended on {ROLE}, which no longer offers 'Council officer'.",
    )


def test_removing_one_of_the_answers_a_condition_names_keeps_the_others():
    start = edited(
        edits.set_condition(survey(), "commissions", {"role": ["Council officer", "Resident"]})
    )

    outcome = edits.edit_question(
        start, "role", {"options": ["Community organisation", "Resident"]}
    )

    assert question(edited(outcome), "commissions")["show_if"] == {"role": ["Resident"]}
    assert outcome.notes[0] == (
        f"'Do you commission services?' is no longer shown to those who answer 'Council"
        f" officer' to {ROLE}, as that answer is no longer offered."
    )


def test_a_type_that_cannot_route_removes_the_conditions_on_the_question():
    outcome = edits.edit_question(survey(), "delivers_now", {"type": "text"})

    after = edited(outcome)
    assert "show_if" not in question(after, "obstacles")
    assert outcome.notes == (
        f"{OBSTACLES} is now shown to everyone who reaches page 2, because it depended on"
        f" {DELIVERS}, which is now a short text question.",
    )


def test_a_condition_with_other_parts_keeps_them_and_says_so():
    start = edited(
        edits.set_condition(
            survey(), "obstacles", {"role": ["Community organisation"], "delivers_now": ["yes"]}
        )
    )

    outcome = edits.edit_question(start, "delivers_now", {"type": "email"})

    assert question(edited(outcome), "obstacles")["show_if"] == {"role": ["Community organisation"]}
    assert outcome.notes == (
        f"{OBSTACLES} no longer depends on {DELIVERS}, which is now an email address question;"
        " its other conditions still apply.",
    )


# --- moving questions --------------------------------------------------------------------------


def test_a_question_moves_up_and_down_its_page():
    after = edited(edits.move_question(survey(), "contact_email", "up"))
    assert keys(after)[3] == ["confidence", "contact_email", "story"]

    after = edited(edits.move_question(after, "confidence", "down"))
    assert keys(after)[3] == ["contact_email", "confidence", "story"]


@pytest.mark.parametrize(
    ("key", "direction", "message"),
    [
        (
            "obstacles",
            "up",
            f"{DELIVERS} decides who sees {OBSTACLES}, so it must come before it.",
        ),
        (
            "delivers_now",
            "down",
            f"{DELIVERS} decides who sees {OBSTACLES}, so it must come before it.",
        ),
        ("role", "up", f"{ROLE} is already the first question on its page."),
        ("postcode", "down", "'What is your postcode?' is already the last question on its page."),
    ],
)
def test_a_move_within_a_page_that_cannot_be_made_is_refused(key, direction, message):
    assert edits.move_question(survey(), key, direction) == Refused(message)


def test_a_move_is_up_or_down():
    assert edits.move_question(survey(), "role", "left") == Refused(
        "Choose whether to move it up or down", "direction"
    )


def test_a_question_moved_to_another_page_goes_to_its_end():
    after = edited(edits.move_question_to_page(survey(), "postcode", 4))

    assert keys(after) == [
        ["role"],
        ["delivers_now", "obstacles"],
        ["commissions", "budget"],
        ["confidence", "story", "contact_email", "postcode"],
    ]


def test_a_page_left_empty_by_a_move_is_deleted_and_the_notes_say_so():
    start = edited(edits.move_question_to_page(survey(), "budget", 4))

    outcome = edits.move_question_to_page(start, "commissions", 4)

    assert [page["title"] for page in edited(outcome)["pages"]] == [
        "About you",
        "Running services",
        "Your views",
    ]
    assert outcome.notes == ("Page 3, 'Buying services', is deleted, as it has no questions left.",)


@pytest.mark.parametrize(
    ("key", "page", "message"),
    [
        ("role", 2, f"{ROLE} decides who sees {DELIVERS}, so it must come before it."),
        ("delivers_now", 4, f"{DELIVERS} decides who sees {OBSTACLES}, so it must come before it."),
        ("obstacles", 1, f"{DELIVERS} decides who sees {OBSTACLES}, so it must come before it."),
    ],
)
def test_a_move_to_another_page_that_breaks_the_order_of_conditions_is_refused(key, page, message):
    assert edits.move_question_to_page(survey(), key, page) == Refused(message)


# --- deleting questions ----------------------------------------------------------------------


def test_deleting_a_question_removes_the_conditions_on_it_and_says_so():
    outcome = edits.delete_question(survey(), "delivers_now")

    after = edited(outcome)
    assert keys(after)[1] == ["obstacles"]
    assert "show_if" not in question(after, "obstacles")
    assert outcome.notes == (
        f"{OBSTACLES} is now shown to everyone who reaches page 2, because it depended on the"
        " question you deleted.",
    )


def test_deleting_a_pages_last_question_deletes_the_page():
    start = edited(edits.move_question_to_page(survey(), "postcode", 4))

    outcome = edits.delete_question(start, "role")

    assert keys(edited(outcome))[0] == ["delivers_now", "obstacles"]
    assert outcome.notes[0] == "Page 1, 'About you', is deleted, as it has no questions left."
    assert outcome.notes[1] == (
        f"{DELIVERS} is now shown to everyone who reaches page 1, because it depended on the"
        " question you deleted."
    )


def test_deleting_the_last_question_leaves_no_survey():
    start = edited(edits.add_question(None, {"type": "text", "prompt": "Why?"}, None, "Start"))

    outcome = edits.delete_question(start, "why")

    assert outcome == Edited(
        None,
        (
            "Page 1, 'Start', is deleted, as it has no questions left.",
            "The survey has no questions left.",
        ),
    )


# --- conditions ------------------------------------------------------------------------------


def test_a_condition_is_set_from_earlier_answers_and_removed_with_an_empty_one():
    after = edited(
        edits.set_condition(survey(), "story", {"confidence": [1, "2 "], "role": "Resident"})
    )
    assert question(after, "story")["show_if"] == {"confidence": ["1", "2"], "role": ["Resident"]}

    after = edited(edits.set_condition(after, "story", {}))
    assert "show_if" not in question(after, "story")


def test_a_condition_on_a_yes_or_no_question_takes_yes_and_no():
    after = edited(edits.set_condition(survey(), "obstacles", {"delivers_now": [False]}))

    assert question(after, "obstacles")["show_if"] == {"delivers_now": ["no"]}


@pytest.mark.parametrize(
    ("key", "show_if", "message"),
    [
        (
            "story",
            {"gone": ["x"]},
            "The question that 'Tell us about your experience' would depend on no longer"
            " exists. It may have been deleted.",
        ),
        (
            "role",
            {"delivers_now": ["yes"]},
            f"{DELIVERS} comes after {ROLE}, so it cannot decide who sees it. Choose an"
            " earlier question, or move it first",
        ),
        (
            "role",
            {"role": ["Resident"]},
            f"{ROLE} cannot depend on itself. Choose an earlier question",
        ),
        (
            "story",
            {"postcode": ["SW1A 1AA"]},
            "'What is your postcode?' is a short text question, so its answers cannot decide"
            " who sees 'Tell us about your experience'. Choose a question answered by"
            " choosing: single or multiple choice, yes or no, or a scale",
        ),
        ("story", {"role": ["Landlord"]}, f"{ROLE} does not offer the answer 'Landlord'."),
        (
            "story",
            {"confidence": ["6"]},
            "'How far do you agree that services are bought well?' does not offer the answer '6'.",
        ),
        ("story", {"role": []}, f"Select at least one answer to {ROLE}"),
        ("story", ["role"], "Choose the question and the answers that lead to it"),
    ],
)
def test_a_condition_that_cannot_hold_is_refused_in_words(key, show_if, message):
    assert edits.set_condition(survey(), key, show_if) == Refused(message, "show_if")


# --- pages -----------------------------------------------------------------------------------


def test_a_page_is_renamed():
    after = edited(edits.rename_page(survey(), 4, " Your view "))

    assert after["pages"][3]["title"] == "Your view"
    assert edits.rename_page(survey(), 4, "") == Refused("Enter a title for the page", "title")
    assert edits.rename_page(survey(), 5, "New") == Refused(
        "There is no page 5. Choose a page from 1 to 4", "page"
    )


def test_a_page_moves_up_and_down_with_its_questions():
    after = edited(edits.move_page(survey(), 3, "up"))

    assert [page["title"] for page in after["pages"]] == [
        "About you",
        "Buying services",
        "Running services",
        "Your views",
    ]


@pytest.mark.parametrize(
    ("page", "direction", "message"),
    [
        (2, "up", f"{ROLE} decides who sees {DELIVERS}, so it must come before it."),
        (1, "down", f"{ROLE} decides who sees {DELIVERS}, so it must come before it."),
        (1, "up", "'About you' is already the first page."),
        (4, "down", "'Your views' is already the last page."),
    ],
)
def test_a_page_move_that_cannot_be_made_is_refused(page, direction, message):
    assert edits.move_page(survey(), page, direction) == Refused(message)


def test_deleting_a_page_deletes_its_questions_and_the_conditions_on_them():
    outcome = edits.delete_page(survey(), 1)

    after = edited(outcome)
    assert keys(after)[0] == ["delivers_now", "obstacles"]
    assert outcome.notes[0] == (
        f"{DELIVERS} is now shown to everyone who reaches page 1, because it depended on a"
        " question on the page you deleted."
    )
    assert len(outcome.notes) == 3


def test_deleting_the_only_page_leaves_no_survey():
    start = edited(edits.add_question(None, {"type": "text", "prompt": "Why?"}, None, "Start"))

    assert edits.delete_page(start, 1) == Edited(None, ("The survey has no questions left.",))


# --- what kind of change ----------------------------------------------------------------------


def test_wording_and_order_within_a_page_are_a_wording_fix():
    after = survey()
    after["pages"][0]["title"] = "Who you are"
    question(after, "role")["prompt"] = "Which describes you?"
    question(after, "role")["hint"] = "Choose the closest"
    question(after, "role")["options"][2] = "Someone living here"
    question(after, "obstacles")["options"].reverse()
    question(after, "confidence")["scale"] = {"min": "Not at all", "max": "Completely"}
    after["pages"][3]["questions"].reverse()

    change = change_kinds.classify(survey(), after)

    assert change == change_kinds.Change(structural=(), changed=True)
    assert change.wording_only
    assert change_kinds.option_renames(survey(), after) == {
        "role": {"Resident": "Someone living here"}
    }


def test_an_unchanged_survey_is_no_change():
    change = change_kinds.classify(survey(), survey())

    assert change == change_kinds.Change(structural=(), changed=False)
    assert not change.wording_only


def test_a_relabelled_option_keeps_its_conditions_and_is_still_a_wording_fix():
    options = ["Community organisation", "Council staff", "Resident"]
    after = edited(edits.edit_question(survey(), "role", {"options": options}))

    assert change_kinds.classify(survey(), after).wording_only
    assert change_kinds.option_renames(survey(), after) == {
        "role": {"Council officer": "Council staff"}
    }


def test_structural_changes_are_listed_in_words():
    after = survey()
    del after["pages"][0]["questions"][1]  # postcode
    after["pages"][0]["questions"].append({"key": "town", "type": "text", "prompt": "Which town?"})
    question(after, "obstacles")["options"] = ["Paperwork", "Payment terms", "Late payment"]
    question(after, "obstacles")["allow_other"] = False
    question(after, "delivers_now")["required"] = False
    question(after, "story")["max_length"] = 500
    question(after, "budget")["min"] = 1
    question(after, "contact_email")["type"] = "text"
    question(after, "contact_email")["required"] = True
    question(after, "commissions")["show_if"] = {"role": ["Council officer", "Resident"]}

    change = change_kinds.classify(survey(), after)

    assert change.structural == (
        "Removes the question 'What is your postcode?'.",
        "Adds the question 'Which town?'.",
        f"Makes {DELIVERS} optional.",
        f"Removes the option 'Contract size' from {OBSTACLES}.",
        f"Adds the option 'Late payment' to {OBSTACLES}.",
        f"Removes 'Other, please specify' from {OBSTACLES}.",
        "Changes who sees 'Do you commission services?'.",
        "Changes the lowest number 'Roughly how many contracts do you manage?' accepts.",
        "Changes how long an answer to 'Tell us about your experience' may be.",
        "Changes 'Email for follow-up questions' from an email address question to a short"
        " text question.",
        "Makes 'Email for follow-up questions' required.",
    )
    assert not change.wording_only


def test_a_question_or_a_page_moved_is_structural():
    moved = edited(edits.move_question_to_page(survey(), "postcode", 4))
    assert change_kinds.classify(survey(), moved).structural == (
        "Moves 'What is your postcode?' from page 1 to page 4.",
    )

    swapped = edited(edits.move_page(survey(), 3, "up"))
    assert change_kinds.classify(survey(), swapped).structural == (
        "Page 3, 'Buying services', becomes page 2.",
        "Page 2, 'Running services', becomes page 3.",
    )


def test_a_survey_made_or_removed_is_every_question_added_or_removed():
    assert change_kinds.classify(None, survey()).structural[0] == f"Adds the question {ROLE}."
    assert change_kinds.classify(survey(), None).structural[-1] == (
        "Removes the question 'Email for follow-up questions'."
    )


# --- any sequence of builder actions ------------------------------------------------------------

JUNK_KEYS = ["gone", "", "Role", "x" * 81]
PROMPTS = st.sampled_from(["Why?", "Which woods?", "Do you agree?", "How many?", "Café?", "2027"])
JUNK_PROMPTS = st.one_of(st.sampled_from(["", "  ", "A\x00", None, 7]), st.text(max_size=20))
WORDS = ["Oak", "Ash", "Woodland", "yes", "no", "1", "Other"]
OPTIONS = st.lists(st.sampled_from(WORDS), min_size=2, max_size=4, unique=True)
JUNK_OPTIONS = st.one_of(
    st.none(),
    st.lists(st.sampled_from([*WORDS, " Oak ", "", 3, None, ["x"]]), max_size=4),
    st.just("Oak\nAsh\n\nBirch"),
    st.just(["Only one"]),
    st.just({"Oak": "Ash"}),
)
NUMBERS = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(10**20),
    st.just("5"),
)
JUNK_PAGES = st.one_of(st.none(), st.sampled_from([-1, 0, 99, "2", 1.0, True]))
DIRECTIONS = st.sampled_from(["up", "up", "down", "down", "sideways"])
LABELS = st.sampled_from([None, {"min": "Poor", "max": ""}, {"min": " "}, {"max": 5}, "Poor"])


@st.composite
def sound_fields(draw, keys: list[str]) -> dict[str, Any]:
    """What the question form sends for a question that can be asked."""
    kind = draw(st.sampled_from(QUESTION_TYPES))
    fields: dict[str, Any] = {"type": kind, "prompt": draw(PROMPTS)}
    fields["required"] = draw(st.booleans())
    if kind in ("single", "multi"):
        fields["options"] = draw(OPTIONS)
        fields["allow_other"] = draw(st.booleans())
    if kind == "number":
        low = draw(st.one_of(st.none(), st.integers(-5, 5)))
        fields["min"], fields["max"] = low, draw(st.one_of(st.none(), st.integers(6, 100)))
    if draw(st.booleans()):
        fields["key"] = draw(st.sampled_from(["", "new_key", *keys]))
    return fields


@st.composite
def junk_fields(draw, keys: list[str]) -> dict[str, Any]:
    """What the question form might send, junk included; some fields left out."""
    fields = {
        "type": draw(st.sampled_from([*QUESTION_TYPES, "ranking", None])),
        "prompt": draw(st.one_of(PROMPTS, JUNK_PROMPTS)),
        "hint": draw(st.sampled_from(["", "Choose one", None, 3])),
        "required": draw(st.booleans()),
        "options": draw(st.one_of(OPTIONS, JUNK_OPTIONS)),
        "allow_other": draw(st.booleans()),
        "max_length": draw(st.one_of(st.none(), st.integers(-1, 60_000), st.just(2.5))),
        "min": draw(NUMBERS),
        "max": draw(NUMBERS),
        "scale": draw(LABELS),
        "key": draw(st.sampled_from([None, "", "new_key", "Bad key", 4, *keys, *JUNK_KEYS])),
    }
    left_out = draw(st.sets(st.sampled_from(sorted(fields))))
    return {name: value for name, value in fields.items() if name not in left_out}


class Builder(RuleBasedStateMachine):
    """An admin clicking about the builder, sense and nonsense alike."""

    def __init__(self) -> None:
        super().__init__()
        self.survey: dict[str, Any] | None = None

    @initialize(start=st.sampled_from(["nothing", "the example"]))
    def start(self, start):
        self.survey = survey() if start == "the example" else None

    def keys(self) -> list[str]:
        return [key for page in keys(self.survey) for key in page]

    def act(self, action, *args: Any, **kwargs: Any) -> edits.Outcome:
        before = copy.deepcopy(self.survey)
        outcome = action(self.survey, *args, **kwargs)
        assert self.survey == before, "the action changed the survey it was given"
        if isinstance(outcome, Refused):
            # The action's own checks caught it, not the last-resort check of the file.
            assert not outcome.message.startswith("This change cannot be saved"), outcome
            assert outcome.message and "survey.pages" not in outcome.message
            event(f"{action.__name__}: refused")
        else:
            assert isinstance(outcome, Edited)
            assert all(isinstance(note, str) for note in outcome.notes)
            event(f"{action.__name__}: edited")
            change_kinds.option_renames(before, outcome.survey)
            self.change = change_kinds.classify(before, outcome.survey)
            event(f"{action.__name__}: {'structural' if self.change.structural else 'wording'}")
            self.survey = outcome.survey
        return outcome

    def key(self, data) -> Any:
        known = st.sampled_from(self.keys()) if self.keys() else st.nothing()
        return data.draw(st.one_of(known, known, st.sampled_from(JUNK_KEYS)))

    def page(self, data) -> Any:
        count = len((self.survey or {"pages": []})["pages"])
        known = st.integers(1, count) if count else st.nothing()
        return data.draw(st.one_of(known, known, JUNK_PAGES))

    def fields(self, data) -> dict[str, Any]:
        keys = self.keys()
        return data.draw(st.one_of(sound_fields(keys), sound_fields(keys), junk_fields(keys)))

    @rule(data=st.data(), title=st.sampled_from(["More", "More", "", " ", "T" * 201]))
    def add_question(self, data, title):
        page = data.draw(st.one_of(st.none(), st.just(self.page(data))))
        self.act(edits.add_question, self.fields(data), page, title)

    @rule(data=st.data(), locked=st.booleans())
    def edit_question(self, data, locked):
        self.act(edits.edit_question, self.key(data), self.fields(data), key_locked=locked)

    @rule(data=st.data(), direction=DIRECTIONS)
    def move_question(self, data, direction):
        outcome = self.act(edits.move_question, self.key(data), direction)
        assert isinstance(outcome, Refused) or not (outcome.notes or self.change.structural)

    @rule(data=st.data())
    def move_question_to_page(self, data):
        self.act(edits.move_question_to_page, self.key(data), self.page(data))

    @rule(data=st.data())
    def delete_question(self, data):
        key = self.key(data)
        depending = [k for k in self.keys() if key in question(self.survey, k).get("show_if", {})]
        outcome = self.act(edits.delete_question, key)
        if isinstance(outcome, Edited):  # a note for each question that depended on it
            assert len([note for note in outcome.notes if note.startswith("'")]) == len(depending)

    @rule(data=st.data())
    def set_condition(self, data):
        names = data.draw(st.lists(st.sampled_from([*self.keys(), "gone"]), max_size=2))
        show_if = {}
        for name in names:
            found = question(self.survey, name) if name in self.keys() else None
            offered = list(edits.answers_to(found) or []) if found else []
            junk = ["Landlord", "6", True, " yes ", 3, None]
            answers = st.sampled_from([*offered, *offered, *junk])
            show_if[name] = data.draw(st.lists(answers, max_size=3))
        self.act(edits.set_condition, self.key(data), show_if)

    @rule(data=st.data(), title=st.sampled_from(["Renamed", "", "\x07", None]))
    def rename_page(self, data, title):
        outcome = self.act(edits.rename_page, self.page(data), title)
        assert isinstance(outcome, Refused) or not (outcome.notes or self.change.structural)

    @rule(data=st.data(), direction=DIRECTIONS)
    def move_page(self, data, direction):
        self.act(edits.move_page, self.page(data), direction)

    @rule(data=st.data())
    def delete_page(self, data):
        self.act(edits.delete_page, self.page(data))

    @invariant()
    def the_survey_is_sound(self):
        assert self.survey is None or survey_problems(self.survey) == []


Builder.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_any_sequence_of_builder_actions = Builder.TestCase
