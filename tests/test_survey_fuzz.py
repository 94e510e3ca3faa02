"""Junk posted to every survey step, through the real test client, with hypothesis.

The steps: each question page (and pages that do not exist), the details page, check
answers (the final send) and "Save and come back later". Each example starts from an
empty database and a fresh browser that has got some way through the survey by the
ordinary forms (nowhere yet, part-way along a route, at check answers, or sent), at a
moment drawn among: open, after the deadline within the grace period, after the grace
period, and closed by an admin. Then one post of anything at all: arbitrary and repeated
fields, answers to questions on other pages or off the route, choice values never
offered, numbers like 1e309 or NaN, huge strings, control characters, decoded junk
bytes, a missing or junk CSRF token, form stamp, draft token or honeypot.

For any input:

- never a 5xx, and only an expected status: 303, 422, 200 (the neutral page a bot
  gets), 400 (CSRF), 404 or 410 (closed);
- a refused post (400, 410, 422, the neutral page) changes nothing stored, nor does a
  post after the grace period or after an admin's close;
- every stored response passes validation: only answers to questions on its own route,
  choices among those offered, finite numbers within the bounds, texts within their
  limits, a normalised email; submitted ones answer every required question on their
  route and have consent, a publish choice, one officer's alert (and a receipt when an
  email was given), are marked late exactly when they came in after the deadline, and
  one browser never sends two;
- every page served is well formed (tests/support/html_checks.py), as are the pages a redirect
  leads to.

Bugs this found are kept below as regression tests with the shrunk inputs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from email_validator import EmailNotValidError, validate_email
from flask import Flask
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.intake.submissions import REFERENCE_ALPHABET, stamp
from app.models import SUBMITTED, Consultation, OutboxEmail, Question, Response
from app.survey import routing
from app.survey.forms import OTHER, OTHER_LIMIT, OTHER_PREFIX, choice_pairs, text_limit
from app.web.forms import PUBLISH_CHOICES
from tests.support.clients import START, UncheckedClient, new_browser
from tests.support.fuzz import (
    ANY_TEXT,
    CONTROL_TEXT,
    PAGE_SAFE_CHARS,
    body,
    html_forbidden,
    sent_as,
    without_forbidden,
)
from tests.support.html_checks import check_page
from tests.support.pages import page

SLUG = "test-consultation"  # make_survey's consultation
SURVEY = f"/consultations/{SLUG}/survey"
ROLES = ["Community organisation", "Council officer", "Resident"]
REFERENCE = re.compile(rf"^SV-[{REFERENCE_ALPHABET}]{{6}}$")
RESPOND_AS = {"individual", "organisation"}
EXPECTED = {200, 303, 400, 404, 410, 422}

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What a browser sends for each page when the respondent answers everything well.
GOOD_PAGES: dict[int, dict[str, list[str]]] = {
    1: {"q_postcode": ["LS6 2AB"]},  # q_role is added from the respondent's role
    2: {
        "q_delivers_now": ["yes"],
        "q_obstacles": ["Paperwork", OTHER],
        "other_obstacles": ["Late payment"],
    },
    3: {"q_commissions": ["yes"], "q_budget": ["12"]},
    4: {
        "q_confidence": ["3"],
        "q_story": ["Contracts are too big for us."],
        "q_contact_email": ["amara@example.org"],
    },
}
GOOD_DETAILS = {
    "respond_as": ["organisation"],
    "organisation": ["Riverside Community Trust"],
    "name": ["Amara Okoye"],
    "email": ["amara@example.org"],
    "publish": ["anonymous"],
    "consent": ["y"],
}


# Values: plausible ones often, so that posts get through, and junk of every kind.

NUMBERS = st.one_of(
    st.sampled_from(
        [
            "1e309",
            "-1e309",
            "NaN",
            "-NaN",
            "sNaN",
            "inf",
            "Infinity",
            "-0",
            "-0.0",
            "0",
            "1000",
            "1000.0000000001",
            "999.99999999999999999999",
            "-1",
            "-1e-400",
            "1e-400",
            "0E+999999999999999999",
            "0E-99999999999999999999",
            "1_000",
            "1,000",
            ",,,",
            "0x10",
            "１２",
            "١٢",
            "½",
            "12 ",
            " 12",
            "1e3",
            "1e4",
            "9" * 400,
            "",
        ]
    ),
    st.integers().map(str),
    st.floats().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
OPTION_LIKE = st.sampled_from(
    [
        *ROLES,
        "community organisation",
        " Resident",
        "Resident ",
        "Resident\x00",
        "yes",
        "no",
        "Yes",
        "YES",
        "maybe",
        "1",
        "2",
        "3",
        "4",
        "5",
        "0",
        "6",
        "3.0",
        "-1",
        "Paperwork",
        "Contract size",
        "Payment terms",
        "Paperwork; Payment terms",
        OTHER,
        "Other: Late payment",
        "Other",
        "individual",
        "organisation",
        "named",
        "anonymous",
        "no",
        "y",
        "false",
        "",
    ]
)
EMAILS = st.sampled_from(
    [
        "amara@example.org",
        "  AMARA@Example.ORG ",
        "amara@exa mple.org",
        "amara",
        "@",
        "a@b",
        "amara@例え.jp",
        "ämara@example.org",
        "amara@example.org\n",
        "a" * 65 + "@example.org",
        "a@" + "b" * 250 + ".org",
        "amara@example.org, bo@example.org",
        "",
    ]
)
VALUES = st.one_of(OPTION_LIKE, OPTION_LIKE, NUMBERS, EMAILS, ANY_TEXT)

QUESTION_FIELDS = [
    "q_role",
    "q_postcode",
    "q_delivers_now",
    "q_obstacles",
    "other_obstacles",
    "q_commissions",
    "q_budget",
    "q_confidence",
    "q_story",
    "q_contact_email",
]
DETAIL_FIELDS = ["respond_as", "organisation", "name", "email", "publish", "consent"]
SPECIAL_FIELDS = {"csrf_token", "loaded", "website", "action"}  # set by each Post
KNOWN_FIELDS = [*QUESTION_FIELDS, *DETAIL_FIELDS, "token", "q_", "q_q_role", "Q_ROLE"]
FIELD_VALUES = {
    "q_budget": st.one_of(NUMBERS, VALUES),
    "q_contact_email": st.one_of(EMAILS, VALUES),
    "email": st.one_of(EMAILS, VALUES),
    "consent": st.one_of(st.sampled_from(["y", "on", "true", "false", "", "0"]), VALUES),
}


def values_for(name: str, min_size: int = 0) -> st.SearchStrategy[list[str]]:
    values = FIELD_VALUES.get(name, VALUES)
    return st.one_of(
        values.map(lambda value: [value]), st.lists(values, min_size=min_size, max_size=3)
    )


@st.composite
def fields(draw, required: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Some of the survey's field names (any step's), and names it never uses."""
    names = draw(st.lists(st.sampled_from(KNOWN_FIELDS), unique=True, max_size=8))
    drawn = {name: draw(values_for(name)) for name in names}
    for name in required:
        drawn[name] = draw(values_for(name, min_size=1))
    unknown = st.text(PAGE_SAFE_CHARS, min_size=1, max_size=15).filter(
        lambda name: name not in KNOWN_FIELDS and name not in SPECIAL_FIELDS
    )
    drawn |= draw(st.dictionaries(unknown, sent_as(ANY_TEXT), max_size=3))
    return drawn


def good_page(number: int) -> st.SearchStrategy[dict[str, list[str]]]:
    """A page posted as a browser would, now and then with a value changed to junk."""
    roles = st.sampled_from(ROLES).map(lambda role: {"q_role": [role]} if number == 1 else {})
    names = sorted({"q_role", *GOOD_PAGES[number]} if number == 1 else GOOD_PAGES[number])
    return st.builds(
        lambda role, changes: GOOD_PAGES[number] | role | changes,
        roles,
        st.dictionaries(st.sampled_from(names), st.lists(VALUES, max_size=2), max_size=1),
    )


CSRF = st.sampled_from(["missing", "junk"])
LOADED = st.sampled_from(["before deadline", "missing", "junk", "altered"])
HONEYPOT = st.one_of(st.just([]), sent_as(ANY_TEXT))
ACTIONS = st.one_of(
    st.just(["save"]),
    st.just([]),
    st.just(["save", "continue"]),
    st.just(["continue", "save"]),
    sent_as(ANY_TEXT),
)
PARTS = ["csrf", "loaded", "honeypot", "action"]
MOMENTS = st.sampled_from(["open"] * 5 + ["late", "after grace", "closed by admin"])
SECONDS_LATER = st.sampled_from([0, 2, 10])


# The survey, a fresh respondent each example, and what is stored


@dataclass
class Survey:
    app: Flask
    clock: Any
    consultation_id: int

    def consultation(self) -> Consultation:
        db.session.rollback()
        return db.session.get(Consultation, self.consultation_id)

    def questions(self) -> list[Question]:
        return list(self.consultation().questions)


@pytest.fixture
def survey(request, app_config, clock) -> Iterator[Survey]:
    """The routed survey on an app whose rate limits are off (every example posts)."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    consultation = request.getfixturevalue("make_survey")()
    yield Survey(app, clock, consultation.id)


def reset(survey: Survey) -> None:
    """An empty survey: no responses, no emails, open, at the start time."""
    db.session.rollback()
    db.session.execute(delete(OutboxEmail))
    db.session.execute(delete(Response))
    db.session.execute(
        update(Consultation)
        .where(Consultation.id == survey.consultation_id)
        .values(override="auto")
    )
    db.session.commit()
    survey.clock.set(START)


class Respondent:
    """One browser: its own cookies, and the CSRF token of its session."""

    def __init__(self, survey: Survey) -> None:
        self.survey = survey
        self.client = new_browser(survey.app, UncheckedClient)
        first = self.client.get(f"{SURVEY}/pages/1")
        assert first.status_code == 200
        field = page(first).find("input", attrs={"name": "csrf_token"})
        self.csrf = field["value"]

    def post(self, path: str, data: dict[str, list[str]], **kwargs):
        response = self.client.post(SURVEY + path, data=body(data, {}, self.csrf), **kwargs)
        assert response.status_code == 303, (path, response.status_code)
        return response

    def loaded(self) -> dict[str, list[str]]:
        return {"loaded": [stamp(self.survey.clock.now)]}

    def draft(self) -> Response | None:
        db.session.rollback()
        return db.session.scalar(select(Response).order_by(Response.id.desc()))

    def go_through(self, role: str, stage: str) -> None:
        """Take the role's route well as far as `stage`: "new" (not started), "page 1",
        "pages" (every page on the route), "details", or "sent"."""
        route = ROUTES[role]
        pages = {"new": [], "page 1": [1]}.get(stage, route)
        for number in pages:
            data = GOOD_PAGES[number] | ({"q_role": [role]} if number == 1 else {})
            self.post(f"/pages/{number}", data | self.loaded() | {"action": ["continue"]})
        if stage in ("details", "sent"):
            self.post("/details", GOOD_DETAILS | self.loaded())
        if stage == "sent":
            self.survey.clock.advance(seconds=10)
            token = self.draft().token
            self.post("/check", {"token": [token]} | self.loaded())


ROUTES = {ROLES[0]: [1, 2, 4], ROLES[1]: [1, 3, 4], ROLES[2]: [1, 4]}
STAGES = ["new", "page 1", "pages", "details", "sent"]


def prefixes(*weights: int) -> st.SearchStrategy[tuple[str, str]]:
    """(role, stage), the stages drawn as often as `weights` say."""
    stages = [stage for stage, weight in zip(STAGES, weights, strict=True) for _ in range(weight)]
    return st.tuples(st.sampled_from(ROLES), st.sampled_from(stages))


def snapshot() -> list[tuple]:
    """Everything stored about responses and their emails."""
    db.session.rollback()
    responses = [
        (
            r.id,
            r.status,
            r.token,
            r.reference,
            json.dumps(r.answers, sort_keys=True),
            json.dumps(r.pages_done),
            r.respond_as,
            r.organisation,
            r.name,
            r.email,
            r.publish,
            r.consent,
            r.late,
            r.started_at,
            r.submitted_at,
        )
        for r in db.session.scalars(select(Response).order_by(Response.id))
    ]
    emails = [
        (e.event_key, e.status) for e in db.session.scalars(select(OutboxEmail).order_by("id"))
    ]
    return [*responses, *emails]


def assert_valid_answer(question: Question, answer: Any) -> None:
    where = f"{question.key}={answer!r}"
    assert answer not in (None, "", []), f"an empty answer is stored: {where}"
    if question.type in ("single", "yesno", "scale"):
        assert isinstance(answer, str), where
        assert answer in dict(choice_pairs(question)), f"not an option: {where}"
    elif question.type == "multi":
        assert isinstance(answer, list) and answer, where
        for item in answer:
            assert isinstance(item, str), where
            if item in question.options:
                continue
            assert question.settings.get("allow_other"), f"not an option: {where}"
            assert item.startswith(OTHER_PREFIX), f"not an option: {where}"
            other = item.removeprefix(OTHER_PREFIX)
            assert other.strip() == other and 0 < len(other) <= OTHER_LIMIT, where
            assert not any(html_forbidden(char) for char in other), where
    elif question.type == "number":
        assert isinstance(answer, int | float) and not isinstance(answer, bool), where
        assert math.isfinite(answer), where
        low, high = question.settings.get("min"), question.settings.get("max")
        assert low is None or answer >= low, where
        assert high is None or answer <= high, where
    elif question.type == "email":
        assert isinstance(answer, str) and len(answer) <= 254, where
        assert_normalised_email(answer)
    else:  # text, longtext
        assert isinstance(answer, str), where
        assert answer == answer.strip() and len(answer) <= text_limit(question), where
        assert not any(html_forbidden(char) for char in answer), where
        assert "\r\n" not in answer, where  # a line break is one character, as on the page


def assert_normalised_email(address: str) -> None:
    try:
        normalised = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise AssertionError(f"an invalid email is stored: {address!r} ({error})") from None
    assert normalised == address, f"an email is stored unnormalised: {address!r}"


def assert_every_response_valid(survey: Survey) -> None:
    """Every stored survey response, draft or sent, passes the survey's rules."""
    consultation = survey.consultation()
    questions = list(consultation.questions)
    by_key = {q.key: q for q in questions}
    for response in db.session.scalars(select(Response).filter_by(channel="survey")):
        answers = response.answers
        # Only answers to questions on the route those answers make.
        assert routing.kept_answers(questions, answers) == answers, answers
        assert set(answers) <= set(by_key), answers
        for key, answer in answers.items():
            assert_valid_answer(by_key[key], answer)
        assert set(response.pages_done) <= set(routing.route(questions, answers))
        # Details, as far as given.
        assert response.respond_as in {"", *RESPOND_AS}
        assert response.publish in {"", *PUBLISH_CHOICES}
        assert len(response.name) <= 200 and len(response.organisation) <= 200
        assert not response.organisation or response.respond_as == "organisation"
        if response.email:
            assert len(response.email) <= 254
            assert_normalised_email(response.email)
        if response.status != SUBMITTED:
            assert response.reference is None
            continue
        # Sent: consent, a publish choice, a reference, the emails, late only if late.
        assert response.consent is True
        assert response.publish in PUBLISH_CHOICES
        assert response.respond_as in RESPOND_AS
        assert response.respond_as != "organisation" or response.organisation.strip()
        assert response.publish != "named" or response.name.strip()
        assert REFERENCE.match(response.reference or ""), response.reference
        submitted_at = response.submitted_at
        assert submitted_at is not None
        min_seconds = survey.app.config["SUBMIT_MIN_SECONDS"]
        assert submitted_at - response.started_at >= timedelta(seconds=min_seconds)
        assert response.late == (submitted_at >= consultation.closes_at)
        assert submitted_at < consultation.closes_at + consultation.grace
        keys = set(
            db.session.scalars(
                select(OutboxEmail.event_key).where(
                    OutboxEmail.event_key.contains(response.reference)
                )
            )
        )
        expected = {f"alert:survey:{response.reference}"}
        if response.email:
            expected.add(f"receipt:survey:{response.reference}")
        assert keys == expected
    assert_required_questions_answered(survey)


def assert_required_questions_answered(survey: Survey) -> None:
    """A sent response answers every required question on its route."""
    questions = survey.questions()
    for response in db.session.scalars(select(Response).filter_by(status=SUBMITTED)):
        kept = routing.kept_answers(questions, response.answers)
        missing = [
            q.key
            for q in questions
            if q.required and routing.applies(q, kept) and q.key not in kept
        ]
        assert not missing, f"{response.reference} was sent without answers to {missing}"


def assert_well_formed(response, htmx: bool) -> None:
    if response.mimetype == "text/html" and not 300 <= response.status_code < 400:
        check_page(response.get_data(as_text=True), fragment=htmx)


# One post


@dataclass(frozen=True)
class Post:
    path: str
    data: dict[str, list[str]]
    csrf: str
    loaded: str
    honeypot: list[str]
    action: list[str]
    htmx: bool


def move_to(survey: Survey, moment: str) -> None:
    consultation = survey.consultation()
    if moment == "late":
        survey.clock.set(consultation.closes_at + timedelta(minutes=10))
    elif moment == "after grace":
        survey.clock.set(consultation.closes_at + consultation.grace + timedelta(minutes=1))
    elif moment == "closed by admin":
        consultation.override = "closed"
        db.session.commit()


def form_stamp(survey: Survey, kind: str) -> list[str]:
    if kind == "now":
        return [stamp(survey.clock.now)]
    if kind == "before deadline":
        return [stamp(START)]
    if kind == "junk":
        return ["2027-02-01T12:00:00+00:00"]
    if kind == "altered":
        return [stamp(survey.clock.now) + "x"]
    return []


def check_post(survey: Survey, prefix: tuple[str, str], moment: str, later: int, post: Post):
    """From a fresh start: a respondent gets `prefix` far, time moves, then the post."""
    reset(survey)
    respondent = Respondent(survey)
    respondent.go_through(*prefix)
    move_to(survey, moment)
    survey.clock.advance(seconds=later)
    draft = respondent.draft()
    data = dict(post.data)
    if "token" in data and data["token"] == ["<valid>"]:
        data["token"] = [draft.token if draft else "no-draft"]
    data |= {"loaded": form_stamp(survey, post.loaded), "website": post.honeypot}
    data["action"] = post.action
    token = {"valid": respondent.csrf, "missing": None, "junk": respondent.csrf[::-1]}[post.csrf]
    before = snapshot()

    response = respondent.client.post(
        SURVEY + post.path,
        data=body(data, {}, token),
        headers={"HX-Request": "true"} if post.htmx else {},
    )

    status = response.status_code
    event(f"{post.path.split('/')[1]} {moment}: {status}")
    assert status < 500
    assert status in EXPECTED, status
    assert_well_formed(response, post.htmx)
    if post.csrf != "valid":
        assert status == 400
    else:
        assert status != 400
    if status != 303 or moment in ("after grace", "closed by admin"):
        assert snapshot() == before, "a refused post changed what is stored"
    if moment in ("after grace", "closed by admin"):
        assert status in {303, 400, 410}, status
    honeypot = without_forbidden(post.honeypot[0]) if post.honeypot else ""
    if honeypot.strip() or post.loaded in ("missing", "junk", "altered"):
        assert snapshot() == before, "a post that looks automated changed what is stored"
    # One browser sends at most one response, however often it posts (double submits).
    sent = db.session.scalar(select(func.count(Response.id)).filter_by(status=SUBMITTED))
    assert sent <= 1, f"{sent} responses from one browser"
    if snapshot() != before:
        event(f"{post.path.split('/')[1]}: stored a change")
    if status == 422:
        soup = page(response)
        assert soup.find(class_="error-summary") is not None
        assert soup.find(class_="field-error") is not None
    if status == 303:
        # Where it leads renders, whatever was stored.
        location = response.headers["Location"]
        assert location.startswith(SURVEY), location
        follow = respondent.client.get(location)
        assert follow.status_code in {200, 410}, (location, follow.status_code)
        assert_well_formed(follow, False)
    assert_every_response_valid(survey)


@st.composite
def posts(draw, paths, data_strategy) -> Post:
    """A post: as a browser sends it (half the time), else with some of its parts wrong."""
    path, data = draw(paths), draw(data_strategy)
    wrong = draw(st.sets(st.sampled_from(PARTS), min_size=1)) if draw(st.booleans()) else set()
    return Post(
        path,
        data,
        csrf=draw(CSRF) if "csrf" in wrong else "valid",
        loaded=draw(LOADED) if "loaded" in wrong else "now",
        honeypot=draw(HONEYPOT) if "honeypot" in wrong else [""],
        action=draw(ACTIONS) if "action" in wrong else ["continue"],
        htmx=draw(st.booleans()),
    )


ODD_PAGES = [0, 5, 99999999999999999999]


@st.composite
def page_posts(draw) -> tuple[tuple[str, str], Post]:
    """A respondent's progress, and a post to a page: most often one on their route, with
    the page's own answers (some junk in them), else anything."""
    role, stage = draw(prefixes(1, 2, 2, 1, 1))
    route = ROUTES[role] if stage not in ("new", "sent") else [1, 4]
    number = draw(
        st.one_of(
            st.sampled_from(route), st.sampled_from(sorted(GOOD_PAGES)), st.sampled_from(ODD_PAGES)
        )
    )
    good = good_page(number) if number in GOOD_PAGES else fields()
    return (role, stage), draw(posts(st.just(f"/pages/{number}"), st.one_of(good, fields())))


def post(path: str, data: dict[str, list[str]], loaded: str = "now", htmx: bool = False):
    """A post as a browser sends it, but for `data`."""
    return Post(path, data, "valid", loaded, [""], ["continue"], htmx)


@FUZZ
@given(scenario=page_posts(), moment=MOMENTS, later=SECONDS_LATER)
@example(  # a follow-up and a question from another page, posted with a "No"
    scenario=(
        (ROLES[0], "page 1"),
        post(
            "/pages/2",
            {"q_delivers_now": ["no"], "q_obstacles": ["Paperwork"], "q_commissions": ["yes"]},
        ),
    ),
    moment="open",
    later=0,
)
@example(  # a number too big for a float, saved for later
    scenario=(
        (ROLES[1], "page 1"),
        Post(
            "/pages/3",
            {"q_commissions": ["no"], "q_budget": ["1e309"]},
            "valid",
            "now",
            [""],
            ["save"],
            False,
        ),
    ),
    moment="open",
    later=0,
)
@example(  # a new role during the grace period: the answers it rules out go
    scenario=(
        (ROLES[1], "details"),
        post("/pages/1", {"q_role": [ROLES[2]]}, loaded="before deadline", htmx=True),
    ),
    moment="late",
    later=0,
)
def test_question_pages_survive_junk(survey, scenario, moment, later):
    """Any post to any question page: nothing stored that the survey's rules refuse."""
    prefix, post = scenario
    check_post(survey, prefix, moment, later, post)


DETAILS_DATA = st.one_of(
    st.builds(
        lambda changes: GOOD_DETAILS | changes,
        st.dictionaries(
            st.sampled_from(sorted(GOOD_DETAILS)),
            st.lists(VALUES, min_size=1, max_size=2),
            max_size=2,
        ),
    ),
    fields(),
)


@FUZZ
@given(
    prefix=prefixes(1, 1, 4, 2, 1),
    moment=MOMENTS,
    later=SECONDS_LATER,
    post=posts(st.just("/details"), DETAILS_DATA),
)
@example(
    prefix=(ROLES[2], "pages"),
    moment="open",
    later=0,
    post=post("/details", GOOD_DETAILS | {"publish": ["named"], "name": ["  "]}),
)
@example(
    prefix=(ROLES[2], "pages"),
    moment="open",
    later=0,
    post=post("/details", GOOD_DETAILS | {"respond_as": ["individual"], "consent": ["false"]}),
)
def test_details_survive_junk(survey, prefix, moment, later, post):
    """Any details: consent, publish and who is responding only ever stored valid."""
    check_post(survey, prefix, moment, later, post)


CHECK_DATA = st.one_of(
    st.just({"token": ["<valid>"]}),
    fields().map(lambda drawn: drawn | {"token": ["<valid>"]}),
    fields(),
)


@FUZZ
@given(
    prefix=prefixes(1, 1, 1, 5, 2),
    moment=MOMENTS,
    later=st.sampled_from([0, 2, 10, 10]),
    post=posts(st.just("/check"), CHECK_DATA),
)
@example(
    prefix=(ROLES[0], "details"),
    moment="open",
    later=10,
    post=post("/check", {"token": ["<valid>"]}),
)
@example(
    prefix=(ROLES[0], "details"),
    moment="open",
    later=2,
    post=post("/check", {"token": ["<valid>"]}),
)
@example(
    prefix=(ROLES[0], "sent"), moment="open", later=10, post=post("/check", {"token": ["<valid>"]})
)
@example(
    prefix=(ROLES[1], "details"),
    moment="late",
    later=0,
    post=post("/check", {"token": ["<valid>"]}, htmx=True),
)
def test_sending_survives_junk(survey, prefix, moment, later, post):
    """Any send: only a complete draft becomes one response, with its emails."""
    check_post(survey, prefix, moment, later, post)


SAVE_DATA = st.one_of(
    st.builds(lambda emails: {"email": emails}, values_for("email")),
    fields(),
)


@FUZZ
@given(
    prefix=prefixes(1, 2, 2, 1, 1),
    moment=MOMENTS,
    later=SECONDS_LATER,
    post=posts(st.just("/save"), SAVE_DATA),
)
def test_save_and_come_back_later_survives_junk(survey, prefix, moment, later, post):
    """Any email for the resume link: stored only normalised, on a draft."""
    check_post(survey, prefix, moment, later, post)


# Bugs the tests above found, kept as regression tests.


@pytest.mark.parametrize("missing", ["name", "email"])
def test_details_without_the_name_or_email_field_is_not_a_server_error(survey, missing):
    reset(survey)
    respondent = Respondent(survey)
    respondent.go_through(ROLES[2], "pages")
    data = {k: v for k, v in GOOD_DETAILS.items() if k != missing} | respondent.loaded()
    data["publish"] = ["anonymous"]  # the name is not needed

    response = respondent.client.post(f"{SURVEY}/details", data=body(data, {}, respondent.csrf))

    assert response.status_code in {303, 422}
    assert_every_response_valid(survey)


def test_saving_for_later_does_not_let_a_required_question_be_skipped(survey):
    """A bug until 92703d0: "Save and come back later" on a page whose required
    question was unanswered marked the page as done, so "Continue your response" went on
    to /pages/4 and a response was sent with answers {}."""
    reset(survey)
    respondent = Respondent(survey)
    client = respondent.client
    # Page 1 with nothing chosen: "Save and come back later".
    respondent.post("/pages/1", respondent.loaded() | {"action": ["save"]})
    # Later, from the survey's start page: "Continue your response".
    start = page(client.get(SURVEY))
    carry_on = start.find("a", string="Continue your response")["href"]
    # Wherever that leads, save again without answering, then the details, then send.
    shown = client.get(carry_on)
    assert shown.status_code == 200
    action = page(shown).find("form")["action"]
    client.post(action, data=body(respondent.loaded() | {"action": ["save"]}, {}, respondent.csrf))
    client.post(
        f"{SURVEY}/details", data=body(GOOD_DETAILS | respondent.loaded(), {}, respondent.csrf)
    )
    survey.clock.advance(seconds=10)
    token = respondent.draft().token
    client.post(
        f"{SURVEY}/check", data=body({"token": [token]} | respondent.loaded(), {}, respondent.csrf)
    )

    assert_required_questions_answered(survey)
    assert carry_on == f"{SURVEY}/pages/1"


@example(text="I wrote this\x01 before the deadline")
@example(text="\x7f")
@settings(FUZZ, max_examples=10)
@given(text=CONTROL_TEXT)
def test_the_closed_page_showing_what_was_written_is_valid_html(survey, text):
    reset(survey)
    respondent = Respondent(survey)
    respondent.go_through(ROLES[2], "page 1")
    move_to(survey, "after grace")
    data = {"q_story": [text], "q_confidence": ["3"]} | respondent.loaded()

    response = respondent.client.post(f"{SURVEY}/pages/4", data=body(data, {}, respondent.csrf))

    assert response.status_code == 410
    check_page(response.get_data(as_text=True))


@example(values=[""])
@example(values=[" ", "Bribes", "<script>"])
@settings(FUZZ, max_examples=10)
@given(
    values=st.builds(
        lambda first, rest: [first, *rest],
        st.sampled_from(["", " ", "\x00", "\t"]),
        st.lists(VALUES, max_size=3),
    )
)
def test_a_blank_first_choice_does_not_let_other_values_through(survey, values):
    reset(survey)
    respondent = Respondent(survey)
    respondent.go_through(ROLES[0], "page 1")
    data = {"q_delivers_now": ["yes"], "q_obstacles": values} | respondent.loaded()

    response = respondent.client.post(f"{SURVEY}/pages/2", data=body(data, {}, respondent.csrf))

    assert response.status_code in {303, 422}
    assert_every_response_valid(survey)
