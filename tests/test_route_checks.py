"""What the survey builder says about a survey's routing (app/survey/route_checks.py): every
route in words, what is wrong, and which questions depend on an answer.

Worked examples first, on tests/support/factories.py's SURVEY_PAGES and small surveys made
here; then properties on generated surveys, checked against the respondents' own routing
rules (app/survey/routing.py) and against the file checks (survey_schema.survey_problems).
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.consultations.survey_schema import survey_problems
from app.survey import route_checks, route_survey, route_words, routing
from app.survey.route_checks import RouteProblem
from app.survey.route_survey import Dependant
from tests.support.factories import SURVEY_PAGES

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def question(key: str, kind: str = "text", prompt: str | None = None, **extra: Any) -> dict:
    """A question in the file's shape; its prompt is the key as a question unless given."""
    return {"key": key, "type": kind, "prompt": prompt or f"{key.capitalize()}?", **extra}


def page(title: str, *questions: dict) -> dict:
    return {"title": title, "questions": list(questions)}


def survey(*pages: dict) -> dict:
    return {"pages": list(pages)}


def messages(found: list[RouteProblem]) -> list[str]:
    return [problem.message for problem in found]


ROUTED = {"pages": SURVEY_PAGES}
WHO = question("who", "single", "Which describes you?", options=["A", "B", "C"], required=True)


# Routes in words


def test_the_routed_survey_s_routes_in_words():
    assert route_checks.route_map(ROUTED).sentences() == [
        "If you answer 'Community organisation' to 'Which best describes you?',"
        " you see pages 1, 2 and 4.",
        "If you answer 'Council officer' to 'Which best describes you?', you see pages 1, 3 and 4.",
        "Anyone else sees pages 1 and 4.",
    ]


def test_each_route_names_its_pages_and_the_answers_that_lead_there():
    organisations, officers, others = route_checks.routes(ROUTED)

    assert [(p.number, p.title) for p in organisations.pages] == [
        (1, "About you"),
        (2, "Running services"),
        (4, "Your views"),
    ]
    ((condition,),) = organisations.ways
    assert (condition.key, condition.picked) == ("role", ("Community organisation",))
    assert officers.numbers == [1, 3, 4]
    assert others.for_the_rest and others.numbers == [1, 4]


def test_a_survey_without_routing_has_one_route_for_everyone():
    plain = survey(
        page("One", question("a")), page("Two", question("b")), page("Three", question("c"))
    )

    assert route_checks.route_map(plain).sentences() == ["Everyone sees pages 1 to 3."]
    assert route_checks.problems(plain) == []


def test_a_survey_with_no_questions_has_no_routes():
    assert route_checks.routes({"pages": []}) == []


def test_a_required_question_whose_every_answer_routes_leaves_nobody_else():
    """Someone asked a required yes or no question answers one or the other."""
    org = question("org", "yesno", "Are you an organisation?", required=True)
    routed = survey(
        page("You", org),
        page("Organisations", question("size", show_if={"org": ["yes"]})),
        page("People", question("age", show_if={"org": ["no"]})),
    )

    assert route_checks.route_map(routed).sentences() == [
        "If you answer 'Yes' to 'Are you an organisation?', you see pages 1 and 2.",
        "If you answer 'No' to 'Are you an organisation?', you see pages 1 and 3.",
    ]

    routed["pages"][0]["questions"][0]["required"] = False

    assert route_checks.route_map(routed).sentences()[-1] == "Anyone else sees page 1."


def test_an_answer_nobody_needs_to_name_is_said_as_the_answers_left():
    """A required yes/no question that only 'yes' routes on: 'not yes' is 'no'."""
    routed = survey(
        page("You", WHO, question("paid", "yesno", "Are you paid?", required=True)),
        page("Pay", question("pay", show_if={"who": ["A"], "paid": ["yes"]})),
        page("End", question("end", show_if={"who": ["A"]})),
    )

    assert route_checks.route_map(routed).sentences() == [
        "If you answer 'A' to 'Which describes you?' and 'Yes' to 'Are you paid?',"
        " you see pages 1 to 3.",
        "If you answer 'A' to 'Which describes you?' and 'No' to 'Are you paid?',"
        " you see pages 1 and 3.",
        "Anyone else sees page 1.",
    ]


def test_routes_on_multiple_choice_say_which_options_are_chosen():
    bars = question("bars", "multi", "What gets in the way?", options=["Paperwork", "Size", "Pay"])
    routed = survey(
        page("About you", bars),
        page("Forms", question("forms", show_if={"bars": ["Paperwork", "Size"]})),
        page("Money", question("money", show_if={"bars": ["Pay"]})),
    )

    assert route_checks.route_map(routed).sentences() == [
        "If you choose 'Paperwork' or 'Size' for 'What gets in the way?' and choose 'Pay' for"
        " 'What gets in the way?', you see pages 1 to 3.",
        "If you choose 'Paperwork' or 'Size' but not 'Pay' for 'What gets in the way?',"
        " you see pages 1 and 2.",
        "If you choose 'Pay' but not 'Paperwork' or 'Size' for 'What gets in the way?',"
        " you see pages 1 and 3.",
        "Anyone else sees page 1.",
    ]


def test_answers_leading_to_the_same_pages_are_said_together():
    routed = survey(
        page("You", WHO, question("paid", "yesno", "Are you paid?")),
        page("More", question("why", show_if={"who": ["A", "B"]}), question("how")),
        page("Pay", question("pay", show_if={"paid": ["yes"]})),
    )

    assert route_checks.route_map(routed).sentences() == [
        "If you answer 'Yes' to 'Are you paid?', you see pages 1 to 3.",
        "Anyone else sees pages 1 and 2.",
    ]


def test_answers_every_condition_lists_together_count_as_one():
    """Routing only asks whether any listed option is chosen, and whether the scale's answer
    is one of 3 to 5: 8 ways through, not 16 x 16 x 5."""
    many = question("many", "multi", "Which apply?", options=["Red", "Green", "Blue", "Gold"])
    routed = survey(
        page("Start", *({**many, "key": f"m{n}", "prompt": f"Which apply {n}?"} for n in (1, 2))),
        page("Next", question("next", show_if={"m1": many["options"], "m2": many["options"]})),
        page("Scale", question("scale", "scale", "How much?", required=True)),
        page("High", question("high", show_if={"scale": ["3", "4", "5"]})),
    )
    any_of = "'Red', 'Green', 'Blue' or 'Gold'"

    assert route_checks.route_map(routed).sentences() == [
        f"If you choose {any_of} for 'Which apply 1?', {any_of} for 'Which apply 2?' and answer"
        " '3', '4' or '5' to 'How much?', you see pages 1 to 4.",
        f"If you choose {any_of} for 'Which apply 1?', {any_of} for 'Which apply 2?' and answer"
        " '1' or '2' to 'How much?', you see pages 1 to 3.",
        f"You see pages 1, 3 and 4 if you do not choose {any_of} for 'Which apply 2?' and answer"
        f" '3', '4' or '5' to 'How much?', or if you do not choose {any_of} for 'Which apply 1?'"
        " and answer '3', '4' or '5' to 'How much?'.",
        "Anyone else sees pages 1 and 3.",
    ]


def test_too_many_ways_through_a_survey_are_not_all_checked_and_it_says_so():
    screening = [question(f"s{n}", "yesno", f"Screening question {n}?") for n in range(13)]
    opened = [page(f"Page {n}", question(f"p{n}", show_if={f"s{n}": ["yes"]})) for n in range(13)]
    huge = survey(page("Screening", *screening), *opened)

    found = route_checks.route_map(huge)

    assert not found.complete
    assert found.sentences()[0] == route_checks.TOO_MANY_TO_LIST
    assert len(found.routes) <= route_checks.LIMIT
    assert messages(route_checks.problems(huge)) == [route_checks.TOO_MANY_TO_CHECK]


def test_a_multiple_choice_question_with_many_routed_options_stops_at_the_limit():
    """2 ** 30 ways to answer it: the enumeration must stop, not build them all first."""
    options = [f"Option {n}" for n in range(30)]
    routed = survey(
        page("Start", question("many", "multi", "Which apply?", options=options)),
        *(
            page(f"Page {n}", question(f"p{n}", show_if={"many": [o]}))
            for n, o in enumerate(options)
        ),
    )

    assert not route_checks.route_map(routed).complete
    assert messages(route_checks.problems(routed)) == [route_checks.TOO_MANY_TO_CHECK]


@pytest.mark.parametrize(
    ("numbers", "words"),
    [
        ([], "no pages"),
        ([2], "page 2"),
        ([1, 2], "pages 1 and 2"),
        ([1, 2, 4], "pages 1, 2 and 4"),
        ([1, 2, 3, 5], "pages 1 to 3 and 5"),
        ([1, 3, 4, 5, 6, 9], "pages 1, 3 to 6 and 9"),
    ],
)
def test_pages_in_words(numbers, words):
    assert route_words.pages_in_words(numbers) == words


# Problems


def test_the_routed_survey_has_no_problems():
    assert route_checks.problems(ROUTED) == []


def test_a_page_nobody_can_reach_is_named_by_number_and_title():
    """Page 3's question needs 'B' and a question only people who chose 'A' are asked."""
    routed = survey(
        page("About you", WHO),
        page("Group A", question("member", "yesno", "Are you a member?", show_if={"who": ["A"]})),
        page(
            "Nowhere", question("lost", "text", "Lost?", show_if={"who": ["B"], "member": ["yes"]})
        ),
        page("The end", question("end")),
    )

    assert route_checks.problems(routed) == [
        RouteProblem(
            "Nobody can reach page 3, 'Nowhere': no route shows any of its questions.", page=3
        )
    ]


def test_a_required_question_no_route_shows_says_it_is_required():
    routed = survey(
        page("About you", WHO, question("member", "yesno", "Are you a member?")),
        page(
            "More",
            question("why", prompt="Why?"),
            question("never", prompt="How often?", required=True, show_if={"who": []}),
            question("pays", "yesno", "Do you pay?", show_if={"who": ["A"], "member": ["yes"]}),
            question("odd", prompt="Which year?", show_if={"who": ["B"], "pays": ["yes"]}),
        ),
    )

    assert route_checks.problems(routed) == [
        RouteProblem("'How often?' is required, but no route shows it.", key="never", page=2),
        RouteProblem("No route shows 'Which year?'.", key="odd", page=2),
    ]


def test_conditions_on_missing_later_or_free_text_questions_and_answers_not_offered():
    routed = survey(
        page(
            "About you",
            question("name", "text", "What is your name?"),
            WHO,
            question("gone", prompt="Where?", show_if={"removed": ["A"]}),
            question("early", prompt="When?", show_if={"member": ["yes"]}),
            question("typed", prompt="How?", show_if={"name": ["Sam"]}),
        ),
        page(
            "More",
            question("member", "yesno", "Are you a member?", show_if={"who": ["A", "D", "E"]}),
            question("self", prompt="Why?", show_if={"self": ["x"]}),
            question("sure", prompt="Sure?", show_if={"member": ["maybe"]}),
        ),
    )

    assert route_checks.problems(routed) == [
        RouteProblem(
            "'Where?' depends on a question that is no longer in the survey."
            " Change or remove its condition.",
            key="gone",
            page=1,
        ),
        RouteProblem(
            "'When?' depends on 'Are you a member?', which comes after it."
            " A question can only depend on one before it.",
            key="early",
            page=1,
        ),
        RouteProblem(
            "'How?' depends on the answer to 'What is your name?', which people type in."
            " Only a choice, yes or no, or scale question can decide who sees another.",
            key="typed",
            page=1,
        ),
        RouteProblem(
            "'Are you a member?' depends on the answers 'D' and 'E' to 'Which describes you?',"
            " which that question does not offer.",
            key="member",
            page=2,
        ),
        RouteProblem(
            "'Why?' depends on its own answer. Change or remove its condition.",
            key="self",
            page=2,
        ),
        RouteProblem(
            "'Sure?' depends on the answer 'Maybe' to 'Are you a member?',"
            " which that question does not offer.",
            key="sure",
            page=2,
        ),
    ]


def test_a_question_without_a_prompt_is_named_by_where_it_is():
    routed = survey(page("Start", WHO, {"key": "bare", "type": "text", "show_if": {"gone": ["x"]}}))

    (problem,) = route_checks.problems(routed)

    assert problem.message.startswith("Question 2 on page 1 depends on a question that is no")


def test_a_page_with_no_questions_says_so():
    assert route_checks.problems(survey(page("Start", WHO), page("Empty"))) == [
        RouteProblem("Page 2, 'Empty', has no questions.", page=2)
    ]


@pytest.mark.parametrize(
    "broken",
    [
        None,
        [],
        "pages",
        {},
        {"pages": None},
        {"pages": [None, 3, "x", {"questions": None}, {"title": 5, "questions": [None, 1]}]},
        {"pages": [{"questions": [{"key": 1, "type": [], "show_if": [1]}]}]},
        {"pages": [{"questions": [{"key": "a", "show_if": {"a": "b", 2: [None], "c": [{}]}}]}]},
        {
            "pages": [
                {"questions": [{"key": "a", "type": "single", "options": [[], {}, True, 2.5]}]}
            ]
        },
        {"pages": [{"questions": [{"key": "a", "type": "multi", "options": "ab"}]}]},
        {"pages": [{"questions": [{"key": "a"}, {"key": "a", "show_if": {"a": ["x"]}}]}]},
    ],
)
def test_broken_surveys_never_raise(broken):
    route_checks.problems(broken)
    route_checks.route_map(broken).sentences()
    route_survey.dependants(broken, "a", "x")
    route_survey.dependants_in_words(broken, "a")


# Dependants


def test_dependants_of_a_question_and_of_one_of_its_answers():
    assert route_survey.dependants(ROUTED, "role") == [
        Dependant(
            "delivers_now",
            "Do you deliver public service contracts today?",
            2,
            ("Community organisation",),
        ),
        Dependant("commissions", "Do you commission services?", 3, ("Council officer",)),
        Dependant("budget", "Roughly how many contracts do you manage?", 3, ("Council officer",)),
    ]
    assert [d.key for d in route_survey.dependants(ROUTED, "role", "Council officer")] == [
        "commissions",
        "budget",
    ]
    assert route_survey.dependants(ROUTED, "role", "Resident") == []
    assert route_survey.dependants(ROUTED, "story") == []


def test_dependants_in_words_say_who_sees_them():
    assert route_survey.dependants_in_words(ROUTED, "role", "Council officer") == (
        "'Do you commission services?' and 'Roughly how many contracts do you manage?' are"
        " shown only to people who chose 'Council officer' for 'Which best describes you?'."
    )
    assert route_survey.dependants_in_words(ROUTED, "delivers_now") == (
        "'What gets in the way?' is shown only to people who answered 'Yes' to"
        " 'Do you deliver public service contracts today?'."
    )
    assert route_survey.dependants_in_words(ROUTED, "story") == ""


def test_dependants_on_several_answers_name_them_all():
    routed = survey(
        page("You", WHO, question("why", prompt="Why?", show_if={"who": ["A", "B"]})),
        page("More", question("often", prompt="How often?", show_if={"who": ["A"]})),
    )

    assert route_survey.dependants_in_words(routed, "who", "A") == (
        "'Why?' is shown only to people who chose 'A' or 'B' for 'Which describes you?'."
        " 'How often?' is shown only to people who chose 'A' for 'Which describes you?'."
    )


# Properties on generated surveys

OPTIONS = ["Red", "Green", "Blue", "Gold"]
ANSWERS = {"yesno": ["yes", "no"], "scale": ["1", "2", "3", "4", "5"]}
ROUTING_TYPES = ("single", "multi", "yesno", "scale")


def answers_of(item: dict) -> list[str]:
    return item.get("options") or ANSWERS.get(item["type"], [])


@st.composite
def surveys(draw, broken: bool = False) -> dict:
    """Small surveys with routing: 1-4 pages of 1-4 questions, whose conditions name earlier
    choice, yes/no or scale questions and their answers. With `broken`, a condition may
    also name a later, missing or free-text question, or an answer not offered."""
    pages, earlier, count = [], [], 0
    for number in range(1, draw(st.integers(1, 4)) + 1):
        questions = []
        for _ in range(draw(st.integers(1, 4))):
            count += 1
            kind = draw(st.sampled_from([*ROUTING_TYPES, "text"]))
            item = question(f"q{count}", kind, f"Question {count}?", required=draw(st.booleans()))
            if kind in ("single", "multi"):
                item["options"] = OPTIONS[: draw(st.integers(2, 4))]
                item["allow_other"] = draw(st.booleans())
            routable = [e for e in earlier if e["type"] in ROUTING_TYPES]
            if routable and draw(st.integers(0, 2)):  # two in three routed, where they can be
                named = draw(st.lists(st.sampled_from(routable), min_size=1, max_size=2))
                item["show_if"] = {
                    e["key"]: draw(
                        st.lists(st.sampled_from(answers_of(e)), min_size=1, unique=True)
                    )
                    for e in named
                }
            if broken and draw(st.integers(0, 3)) == 0:
                name, values = draw(
                    st.sampled_from(
                        [("gone", ["Red"]), (f"q{count + 1}", ["yes"]), (f"q{count}", ["yes"])]
                        + [(e["key"], ["Maybe"]) for e in earlier]
                    )
                )
                item.setdefault("show_if", {})[name] = values
            questions.append(item)
            earlier.append(item)
        pages.append(page(f"Page {number}", *questions))
    return survey(*pages)


class Q:
    """A question as routing sees it."""

    def __init__(self, item: dict, number: int) -> None:
        self.key, self.page, self.type = item["key"], number, item["type"]
        self.show_if = item.get("show_if", {})


def routing_questions(data: dict) -> list[Q]:
    return [Q(item, n) for n, p in enumerate(data["pages"], start=1) for item in p["questions"]]


def items(data: dict) -> list[dict]:
    return [item for p in data["pages"] for item in p["questions"]]


@st.composite
def respondents(draw, data: dict, complete: bool) -> dict[str, Any]:
    """Answers someone could give to every question; `complete`: every required one
    answered, as a sent response has (those the route skips are dropped anyway)."""
    answers: dict[str, Any] = {}
    for item in items(data):
        offered = list(answers_of(item))
        if item.get("allow_other"):
            offered.append("Something else")
        if not (complete and item.get("required")) and draw(st.booleans()):
            continue
        if item["type"] == "multi":
            answers[item["key"]] = draw(st.lists(st.sampled_from(offered), min_size=1, unique=True))
        else:
            answers[item["key"]] = draw(st.sampled_from(offered or ["Some words"]))
    return answers


def described(data: dict, route: route_checks.Route, kept: dict[str, Any]) -> bool:
    """Whether the route's words describe someone with these kept answers."""
    questions = {q.key: q for q in routing_questions(data)}
    return any(
        all(routing.applies(questions[c.key], kept) and c.met_by(kept.get(c.key)) for c in way)
        for way in route.ways
    )


@PROPERTY
@given(data=st.data(), made=surveys())
def test_every_respondent_s_pages_are_one_of_the_routes_and_its_words_describe_them(data, made):
    """For any answers a respondent could send, routing's pages are exactly those of the one
    route whose words describe the answers (or of "anyone else" when none does)."""
    answers = data.draw(respondents(made, complete=True))
    questions = routing_questions(made)
    pages = routing.route(questions, answers)
    kept = routing.kept_answers(questions, answers)

    found = route_checks.route_map(made)

    assert found.complete
    assert pages in [route.numbers for route in found.routes]
    matching = [route for route in found.routes if described(made, route, kept)]
    rest = [route for route in found.routes if route.for_the_rest]
    assert len(matching) <= 1
    assert [route.numbers for route in matching or rest] == [pages]


@PROPERTY
@given(data=st.data(), made=surveys())
def test_nothing_a_respondent_sees_is_reported_unreachable(data, made):
    """Any answers, even leaving required questions blank: every page on the route and
    every question that applies is reachable, and a sound survey has no other problems."""
    answers = data.draw(respondents(made, complete=False))
    questions = routing_questions(made)
    kept = routing.kept_answers(questions, answers)
    seen = routing.route(questions, answers)
    asked = {q.key for q in questions if routing.applies(q, kept)}

    found = route_checks.problems(made)

    assert not [problem for problem in found if problem.page in seen and problem.key is None]
    assert not [problem for problem in found if problem.key in asked]
    assert all(problem.page is not None for problem in found)
    assert all("depends on" not in problem.message for problem in found)


@PROPERTY
@given(made=surveys(broken=True))
def test_conditions_are_refused_for_the_same_questions_as_the_file_checks_refuse(made):
    """The file checks name a key path; the builder's words name the same questions."""
    by_path = {
        f"survey.pages.{p}.questions.{q}": item["key"]
        for p, each in enumerate(made["pages"])
        for q, item in enumerate(each["questions"])
    }
    refused = {
        by_path[re.sub(r"\.show_if\..*", "", path)]
        for path, _ in survey_problems(made)
        if ".show_if." in path
    }

    worded = {p.key for p in route_checks.problems(made) if "depends on" in p.message}

    assert worded == refused


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["pages", "title", "questions", "key", "type", "prompt", "options"])
            | st.sampled_from(["show_if", "required", "allow_other", "q1", "q2"])
            | st.text(max_size=3),
            inner,
            max_size=5,
        )
    ),
    max_leaves=30,
)
PARTS = st.sampled_from(["title", "questions", "key", "type", "prompt", "options", "show_if"])


@st.composite
def spoiled(draw) -> Any:
    """A generated survey with some of its parts replaced by junk."""
    made = copy.deepcopy(draw(surveys()))
    for _ in range(draw(st.integers(1, 4))):
        each = draw(st.sampled_from([p for p in made["pages"] if isinstance(p, dict)]))
        inside = each["questions"] if isinstance(each["questions"], list) else []
        target = draw(st.sampled_from([each, *(q for q in inside if isinstance(q, dict))]))
        target[draw(PARTS | st.sampled_from(["required", "allow_other"]))] = draw(JSON)
    if draw(st.booleans()):
        made["pages"].append(draw(JSON))
    return made


@PROPERTY
@given(junk=JSON | st.dictionaries(st.just("pages"), JSON) | spoiled())
def test_nothing_raises_on_junk(junk):
    route_checks.problems(junk)
    route_checks.route_map(junk).sentences()
    route_survey.dependants_in_words(junk, "q1", "Red")
