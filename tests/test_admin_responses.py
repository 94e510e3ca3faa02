"""Reading the responses in the admin area: the list, its filters, search and pages.

Respondents take part through the real public forms: three survey routes, written
evidence from two kinds of respondent with different publication choices, one accepted
late within the grace period, a message with a call booked and one without. The clock
is in June, so local days are British Summer Time: a response sent at 23:30 UTC on
1 June was received on 2 June in the UK. Pagination uses rows inserted with the models,
which is quicker than 120 trips through the forms and tests the same query.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import SUBMITTED, Consultation, Response, Tag
from tests.support.actors import Respondent
from tests.support.clients import Clock, new_browser
from tests.support.contact import VALID_MESSAGE, call_url, publish
from tests.support.evidence import VALID as VALID_EVIDENCE
from tests.support.evidence import open_form, send_form
from tests.support.factories import SLUG, TITLE, sign_in_officer, survey_consultation
from tests.support.pages import error_messages, page, summary_links, text_of
from tests.support.responses import (
    LIST_URL,
    give_tags,
    insert_response,
    new_tag,
    page_title,
    references,
)

JUNE = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)  # 1pm in London (BST)
DEADLINE = datetime(2027, 6, 3, 17, 0, tzinfo=UTC)  # 6pm in London
CALL_AT = datetime(2027, 6, 3, 9, 0, tzinfo=UTC)

# The stories and evidence hold the words the searches look for.
CAFE_STORY = "Our Café closed because the council buys from one supplier."
SCRIPT = "<script>alert('owned')</script>"
THINK_TANK_TEXT = "Councils spent 100% of budgets on snake_case systems and Straße repairs."
ACADEMIC_TEXT = "We found 1000 councils with snakeXcase systems; the café sector and budgets."

# Every response the `received` fixture sends, newest first.
NEWEST_FIRST = [
    "late",
    "message",
    "message_call",
    "academic",
    "think_tank",
    "resident",
    "organisation",
    "officer",
]


# --- helpers ---------------------------------------------------------------------------------


def list_url(**params: str) -> str:
    return f"{LIST_URL}?{urlencode(params)}" if params else LIST_URL


def shown_count(response) -> str:
    return text_of(page(response).find(class_="found-count"))


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def app_config(app_config: dict, request) -> dict:
    """Many responses come from one address here: the submission limit has its own tests.

    A test that reads the `received` responses starts from a copy of their database.
    """
    app_config["RATELIMIT_ENABLED"] = False
    if "received" in request.fixturenames:
        snapshot, _references = request.getfixturevalue("received_snapshot")
        databases = request.getfixturevalue("databases")
        databases.replace(app_config["SQLALCHEMY_DATABASE_URI"], snapshot)
    return app_config


@pytest.fixture
def consultation(clock, make_survey) -> Consultation:
    clock.set(JUNE)
    return make_survey(closes_at=DEADLINE)


def _stored(**where) -> Response:
    db.session.rollback()
    return db.session.scalars(select(Response).filter_by(status=SUBMITTED, **where)).one()


def _send_everything(app: Flask, clock: Clock) -> dict[str, str]:
    """Eight responses through the public forms, and a draft; their references by name.

    Each is sent five seconds after the moment its clock is set to.
    """
    consultation = survey_consultation(app, JUNE, closes_at=DEADLINE)

    def survey(at, route, details):
        clock.set(at)
        respondent = Respondent(app, clock)
        respondent.takes_route(route, details)
        sent = respondent.sends()
        assert sent.status_code == 303, error_messages(sent)

    def evidence(at, **fields):
        clock.set(at)
        sent = Respondent(app, clock).sends_evidence({**VALID_EVIDENCE, **fields})
        assert sent.status_code == 303, error_messages(sent)

    survey(
        datetime(2027, 6, 1, 9, 0, tzinfo=UTC),
        {
            1: {"q_role": "Council officer", "q_postcode": "AB1 2CD"},
            3: {"q_commissions": "yes", "q_budget": "12"},
            4: {"q_confidence": "2", "q_story": CAFE_STORY},
        },
        {
            "respond_as": "individual",
            "name": "Ada Jones",
            "email": "ada@example.org",
            "publish": "anonymous",
            "consent": "y",
        },
    )
    survey(
        datetime(2027, 6, 1, 22, 30, tzinfo=UTC),  # 11:30pm on 1 June in London
        {
            1: {"q_role": "Community organisation", "q_postcode": "ZZ9 9ZZ"},
            2: {
                "q_delivers_now": "yes",
                "q_obstacles": ["Paperwork", "__other__"],
                "other_obstacles": "Insurance",
            },
            4: {"q_confidence": "4", "q_story": "Payment terms of ninety days hurt charities."},
        },
        {
            "respond_as": "organisation",
            "organisation": "Riverside Trust",
            "name": "Bob Evans",
            "email": "bob@example.org",
            "publish": "named",
            "consent": "y",
        },
    )
    survey(
        datetime(2027, 6, 1, 23, 30, tzinfo=UTC),  # 12:30am on 2 June in London
        {
            1: {"q_role": "Resident", "q_postcode": ""},
            4: {"q_confidence": "3", "q_story": f"{SCRIPT} buses"},
        },
        {"respond_as": "individual", "name": "", "email": "", "publish": "no", "consent": "y"},
    )
    evidence(
        datetime(2027, 6, 2, 10, 0, tzinfo=UTC),
        name="Cara Diaz",
        email="cara@example.org",
        respondent_type="Think tank",
        organisation="Policy Lab",
        evidence=THINK_TANK_TEXT,
        publish="named",
    )
    evidence(
        datetime(2027, 6, 2, 12, 0, tzinfo=UTC),
        name="Dev Patel",
        email="dev@example.org",
        respondent_type="Academic",
        organisation="",
        evidence=ACADEMIC_TEXT,
        publish="no",
    )
    clock.set(datetime(2027, 6, 2, 15, 0, tzinfo=UTC))
    [slot] = publish(consultation, CALL_AT)
    respondent = Respondent(app, clock)
    booked = respondent.books(call_url(respondent.sends_message()), slot)
    assert booked.status_code == 303, error_messages(booked)
    clock.set(datetime(2027, 6, 3, 8, 0, tzinfo=UTC))
    sent = Respondent(app, clock).sends_message(
        {
            **VALID_MESSAGE,
            "name": "Eve Brown",
            "email": "eve@example.org",
            "wants_call": "no",
            "subject": "Libraries",
            "message": "Keep the library open on Sundays.",
        },
    )
    assert sent.status_code == 303, error_messages(sent)
    # Someone who started the survey and never sent it.
    Respondent(app, clock).answers_page(1, {"q_role": "Resident", "q_postcode": "DRAFT 1"})
    # Opened before the deadline, sent ten minutes after it: taken within the grace period.
    clock.set(DEADLINE - timedelta(minutes=5))
    person = new_browser(app)
    shown = open_form(person)
    clock.set(DEADLINE + timedelta(minutes=10))
    sent = send_form(
        person,
        shown,
        {
            **VALID_EVIDENCE,
            "name": "Fay Green",
            "email": "fay@example.org",
            "respondent_type": "Community organisation",
            "organisation": "Northside Food Bank",
            "evidence": "Sorry this is late: the food bank needs longer contracts.",
            "publish": "anonymous",
        },
    )
    assert sent.status_code == 303, error_messages(sent)
    found = {
        "officer": _stored(name="Ada Jones"),
        "organisation": _stored(name="Bob Evans"),
        "resident": _stored(channel="survey", name=""),
        "think_tank": _stored(name="Cara Diaz"),
        "academic": _stored(name="Dev Patel"),
        "message_call": _stored(channel="contact", wants_call=True),
        "message": _stored(name="Eve Brown"),
        "late": _stored(name="Fay Green"),
    }
    assert found["late"].late is True
    assert [r.late for key, r in found.items() if key != "late"] == [False] * 7
    return {key: response.reference for key, response in found.items()}


@pytest.fixture(scope="module")
def received_snapshot(tmp_path_factory, databases) -> Iterator[tuple[str, dict[str, str]]]:
    """A database holding what `_send_everything` sent, made once for this module.

    Sending them takes seconds, and most tests here only read them, so each test that
    asks for `received` starts from a copy of this database.
    """
    folder = tmp_path_factory.mktemp("received")
    url = databases.fresh()
    clock = Clock(JUNE)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "CLOCK": clock,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": 1,
            "UPLOAD_FOLDER": str(folder / "uploads"),
        }
    )
    with app.app_context():
        sent = _send_everything(app, clock)
        db.session.remove()
        db.engine.dispose()
    yield url, sent
    databases.drop(url)


@pytest.fixture
def received(app, clock, received_snapshot) -> dict[str, Response]:
    """The responses of `received_snapshot`, in this test's copy; the deadline has passed."""
    clock.set(DEADLINE + timedelta(hours=2))
    return {key: _stored(reference=reference) for key, reference in received_snapshot[1].items()}


def stored_consultation() -> Consultation:
    return db.session.scalars(select(Consultation).filter_by(slug=SLUG)).one()


def refs(received: dict[str, Response], *keys: str) -> list[str]:
    """The references of these responses, newest first as the list shows them."""
    return [received[key].reference for key in NEWEST_FIRST if key in keys]


# --- the list --------------------------------------------------------------------------------


def test_every_submitted_response_is_listed_newest_first_and_drafts_are_not(admin, received):
    shown = admin.get(LIST_URL)

    assert shown.status_code == 200
    assert references(shown) == refs(received, *NEWEST_FIRST)
    assert shown_count(shown) == "8 responses received."
    rows = {
        text_of(row.find("td")): [text_of(cell) for cell in row.find_all("td")]
        for row in page(shown).find("tbody").find_all("tr")
    }
    assert rows[received["organisation"].reference][1:4] == [
        "Survey",
        "Bob Evans, Riverside Trust",
        "11:30pm UK time on 1 June 2027",
    ]
    assert rows[received["message"].reference][1] == "Message"
    assert rows[received["think_tank"].reference][1] == "Written evidence"
    assert rows[received["resident"].reference][2] == "Not given"
    assert "Late" in rows[received["late"].reference][3]
    assert "Late" not in rows[received["think_tank"].reference][3]
    links = [a["href"] for a in page(shown).find("tbody").find_all("a")]
    assert links == [f"/admin/responses/{received[key].id}" for key in NEWEST_FIRST]


FILTERS_ALONE = [
    ({"channel": "survey"}, ["officer", "organisation", "resident"]),
    ({"channel": "evidence"}, ["think_tank", "academic", "late"]),
    ({"channel": "contact"}, ["message_call", "message"]),
    ({"channel": "calls"}, ["message_call"]),
    ({"respondent_type": "Think tank"}, ["think_tank"]),
    ({"respondent_type": "Academic"}, ["academic"]),
    ({"respondent_type": "Community organisation"}, ["late"]),
    ({"respondent_type": "Elected councillor"}, []),
    ({"publish": "named"}, ["organisation", "think_tank"]),
    ({"publish": "anonymous"}, ["officer", "late"]),
    ({"publish": "no"}, ["resident", "academic"]),
    ({"late": "yes"}, ["late"]),
    (
        {"late": "no"},
        [
            "officer",
            "organisation",
            "resident",
            "think_tank",
            "academic",
            "message_call",
            "message",
        ],
    ),
    # Local days: 23:30 UTC on 1 June is 00:30 on 2 June in London.
    ({"until": "2027-06-01"}, ["officer", "organisation"]),
    (
        {"since": "2027-06-02"},
        ["resident", "think_tank", "academic", "message_call", "message", "late"],
    ),
    (
        {"since": "2027-06-02", "until": "2027-06-02"},
        ["resident", "think_tank", "academic", "message_call"],
    ),
    ({"since": "2027-06-03", "until": "2027-06-03"}, ["message", "late"]),
    ({"since": "2027-06-04"}, []),
    ({"until": "2027-05-31"}, []),
]


@pytest.mark.parametrize(
    ("params", "expected"),
    FILTERS_ALONE,
    ids=["-".join(f"{k}={v}" for k, v in params.items()) for params, _ in FILTERS_ALONE],
)
def test_each_filter_alone(admin, received, params, expected):
    shown = admin.get(list_url(**params))

    assert shown.status_code == 200, error_messages(shown)
    assert references(shown) == refs(received, *expected)
    count = len(expected)
    assert shown_count(shown) == (
        f"{count} {'response matches' if count == 1 else 'responses match'} these filters."
    )
    # The filters stay chosen in the form.
    for name, value in params.items():
        control = page(shown).find(id=name)
        if control.name == "select":
            assert control.find("option", selected=True)["value"] == value
        else:
            assert control["value"] == value


def test_the_tag_filter_and_not_tagged(admin, received):
    consultation = stored_consultation()
    transport = new_tag(consultation, "Transport")
    cost = new_tag(consultation, "Cost")
    give_tags(received["officer"], transport)
    give_tags(received["think_tank"], transport, cost)

    assert references(admin.get(list_url(tag=str(transport.id)))) == refs(
        received, "officer", "think_tank"
    )
    assert references(admin.get(list_url(tag=str(cost.id)))) == refs(received, "think_tank")
    untagged = [key for key in NEWEST_FIRST if key not in ("officer", "think_tank")]
    assert references(admin.get(list_url(tag="none"))) == refs(received, *untagged)
    row = page(admin.get(list_url(tag=str(cost.id)))).find("tbody").find("tr")
    assert [text_of(t) for t in row.find_all(class_="tag-code")] == ["Cost", "Transport"]


COMBINED = [
    ({"channel": "survey", "publish": "anonymous"}, ["officer"]),
    ({"channel": "survey", "since": "2027-06-02"}, ["resident"]),
    ({"channel": "evidence", "late": "no", "publish": "no"}, ["academic"]),
    ({"channel": "evidence", "until": "2027-06-02"}, ["think_tank", "academic"]),
    ({"q": "budgets", "channel": "evidence"}, ["think_tank", "academic"]),
    ({"q": "budgets", "respondent_type": "Academic"}, ["academic"]),
    ({"q": "café", "channel": "survey"}, ["officer"]),
    ({"channel": "calls", "since": "2027-06-03"}, []),
    ({"channel": "survey", "respondent_type": "Think tank"}, []),
]


@pytest.mark.parametrize(
    ("params", "expected"),
    COMBINED,
    ids=["&".join(f"{k}={v}" for k, v in params.items()) for params, _ in COMBINED],
)
def test_filters_combine(admin, received, params, expected):
    shown = admin.get(list_url(**params))

    assert shown.status_code == 200, error_messages(shown)
    assert references(shown) == refs(received, *expected)


def test_tag_combines_with_other_filters(admin, received):
    consultation = stored_consultation()
    transport = new_tag(consultation, "Transport")
    give_tags(received["officer"], transport)
    give_tags(received["think_tank"], transport)

    both = admin.get(list_url(tag=str(transport.id), channel="survey"))
    untagged_evidence = admin.get(list_url(tag="none", channel="evidence"))

    assert references(both) == refs(received, "officer")
    assert references(untagged_evidence) == refs(received, "academic", "late")


def test_the_form_as_a_browser_sends_it_with_every_field_empty_lists_everything(admin, received):
    everything_empty = {name: "" for name in ("q", "channel", "respondent_type", "tag")}
    everything_empty.update({"publish": "", "late": "", "since": "", "until": ""})

    shown = admin.get(list_url(**everything_empty))

    assert shown.status_code == 200, error_messages(shown)
    assert references(shown) == refs(received, *NEWEST_FIRST)
    assert shown_count(shown) == "8 responses received."
    assert page(shown).find("a", class_="clear-filters") is None


def test_the_form_offers_the_consultations_respondent_types_and_tags(admin, consultation):
    new_tag(consultation, "Transport")

    soup = page(admin.get(LIST_URL))

    def options(name):
        return [text_of(o) for o in soup.find("select", id=name).find_all("option")]

    assert options("respondent_type") == [
        "All",
        "Community organisation",
        "Elected councillor",
        "Council officer",
        "Think tank",
        "Academic",
        "Other",
    ]
    assert options("tag") == ["All", "Not tagged", "Transport"]
    assert options("channel") == [
        "All",
        "Survey responses",
        "Written evidence",
        "Messages",
        "Messages with a call booked",
    ]


# --- search ----------------------------------------------------------------------------------


SEARCHES = [
    # A word from a long answer (the survey's story, the evidence text).
    ("supplier", ["officer"]),
    ("charities", ["organisation"]),
    ("repairs", ["think_tank"]),
    ("sundays", ["message"]),
    # Every word must be there, in any order, in any part of the response.
    ("budgets councils", ["think_tank", "academic"]),
    ("budgets café", ["academic"]),
    ("café supplier", ["officer"]),
    ("supplier repairs", []),
    # Case and accents: casefolded on both sides, so É and é, ß and SS are the same.
    ("CAFÉ", ["officer", "academic"]),
    ("Café", ["officer", "academic"]),
    ("STRASSE", ["think_tank"]),
    ("straße", ["think_tank"]),
    # % and _ are the characters themselves, not LIKE's wildcards.
    ("100%", ["think_tank"]),
    ("snake_case", ["think_tank"]),
    ("%", ["think_tank"]),
    ("_", ["think_tank"]),
    # Who sent it: name, organisation, email address, chosen answers.
    ("Bob", ["organisation"]),
    ("evans", ["organisation"]),
    ("Trust", ["organisation"]),
    ("Policy Lab", ["think_tank"]),
    ("dev@example.org", ["academic"]),
    ("Paperwork", ["organisation"]),
    ("Insurance", ["organisation"]),
    # Quotes are not special, and text that matches nothing matches nothing.
    ('"ninety days"', []),
    ("zebra", []),
]


@pytest.mark.parametrize(("query", "expected"), SEARCHES, ids=[q for q, _ in SEARCHES])
def test_search(admin, received, query, expected):
    shown = admin.get(list_url(q=query))

    assert shown.status_code == 200, error_messages(shown)
    assert references(shown) == refs(received, *expected)
    assert page(shown).find("input", id="q")["value"] == query


@pytest.mark.parametrize("case", [str, str.lower], ids=["as-given", "lower-case"])
def test_search_by_reference(admin, received, case):
    reference = received["think_tank"].reference

    shown = admin.get(list_url(q=case(reference)))

    assert references(shown) == [reference]


def test_search_finds_a_word_typed_with_a_combining_accent(admin, received):
    """The respondent's é came precomposed; the same letter typed as e + a combining
    accent (as some keyboards and pasted text send it) must find it too."""
    decomposed = unicodedata.normalize("NFD", "café")
    assert decomposed != "café"

    shown = admin.get(list_url(q=decomposed))

    assert references(shown) == refs(received, "officer", "academic")


def test_a_search_is_kept_in_the_form_and_the_clear_link_shows(admin, received):
    shown = admin.get(list_url(q="budgets", channel="evidence"))

    soup = page(shown)
    assert soup.find("a", class_="clear-filters")["href"] == LIST_URL
    assert shown_count(shown) == "2 responses match these filters."


# --- user text is escaped --------------------------------------------------------------------


def test_user_text_is_shown_as_text_on_the_list_and_the_response(app, admin, consultation, clock):
    insert_response(
        consultation,
        clock.now,
        1,
        name=SCRIPT,
        organisation="<b>Bold</b> & Co",
        evidence_text=SCRIPT,
    )
    db.session.commit()

    listed = admin.get(LIST_URL)
    item = db.session.scalars(select(Response)).one()
    one = admin.get(f"/admin/responses/{item.id}")

    for shown in (listed, one):
        html = shown.get_data(as_text=True)
        assert SCRIPT not in html
        assert "&lt;script&gt;" in html
        soup = page(shown)
        assert all("owned" not in (s.string or "") for s in soup.find_all("script"))
        assert soup.find("b", string="Bold") is None
    assert f"{SCRIPT}, <b>Bold</b> & Co" in text_of(page(listed).find("tbody"))
    assert SCRIPT in text_of(page(one))


def test_a_survey_answer_with_markup_is_shown_as_text(admin, received):
    shown = admin.get(f"/admin/responses/{received['resident'].id}")

    assert shown.status_code == 200
    soup = page(shown)
    assert f"{SCRIPT} buses" in [text_of(dd) for dd in soup.find_all("dd")]
    assert all("owned" not in (s.string or "") for s in soup.find_all("script"))


# --- pages of 50 -----------------------------------------------------------------------------


@pytest.fixture
def many(consultation, clock) -> list[str]:
    """120 evidence responses a minute apart (even numbers from think tanks), newest first."""
    start = datetime(2027, 5, 26, 9, 0, tzinfo=UTC)
    made = [
        insert_response(
            consultation,
            start + timedelta(minutes=n),
            n,
            respondent_type="Think tank" if n % 2 == 0 else "Academic",
            name=f"Person {n}",
            evidence_text=f"Evidence number {n}.",
        )
        for n in range(120)
    ]
    db.session.commit()
    return [r.reference for r in reversed(made)]


def pagination(response) -> tuple[str, dict[str, str]]:
    """The pager's text and its links by rel, as path?query."""
    nav = page(response).find("nav", class_="pagination")
    if nav is None:
        return "", {}
    return text_of(nav.find("span", recursive=False)), {
        a["rel"][0]: a["href"] for a in nav.find_all("a")
    }


def test_fifty_a_page_newest_first(admin, many):
    first, second, third = (admin.get(list_url(page=str(n))) for n in (1, 2, 3))

    assert references(admin.get(LIST_URL)) == many[:50]
    assert references(first) == many[:50]
    assert references(second) == many[50:100]
    assert references(third) == many[100:]
    assert shown_count(second) == "120 responses received."
    assert pagination(first) == ("Page 1 of 3", {"next": list_url(page="2")})
    assert pagination(second) == (
        "Page 2 of 3",
        {"prev": list_url(page="1"), "next": list_url(page="3")},
    )
    assert pagination(third) == ("Page 3 of 3", {"prev": list_url(page="2")})


@pytest.mark.parametrize(
    ("asked", "shown_page"),
    [("0", 1), ("-3", 1), ("abc", 1), ("", 1), ("4", 3), ("99999999999999999999999", 3)],
)
def test_a_page_out_of_range_is_brought_into_range(admin, many, asked, shown_page):
    shown = admin.get(f"{LIST_URL}?page={asked}")

    assert shown.status_code == 200
    assert references(shown) == many[(shown_page - 1) * 50 : shown_page * 50]
    assert pagination(shown)[0] == f"Page {shown_page} of 3"


def test_the_newer_and_older_links_keep_the_filters(admin, many):
    filters = {"respondent_type": "Think tank", "q": "evidence", "since": "2027-05-26"}
    think_tanks = [ref for ref in many if int(ref.split("-")[1]) % 2 == 0]
    assert len(think_tanks) == 60

    first = admin.get(list_url(**filters))
    _, links = pagination(first)
    second = admin.get(links["next"])

    assert references(first) == think_tanks[:50]
    assert references(second) == think_tanks[50:]
    assert shown_count(second) == "60 responses match these filters."
    for link in (links["next"], pagination(second)[1]["prev"]):
        query = parse_qs(urlsplit(link).query)
        assert {key: values[0] for key, values in query.items() if key != "page"} == filters
    assert parse_qs(urlsplit(links["next"]).query)["page"] == ["2"]
    assert parse_qs(urlsplit(pagination(second)[1]["prev"]).query)["page"] == ["1"]
    assert "next" not in pagination(second)[1]
    assert pagination(second)[0] == "Page 2 of 2"


def test_one_page_has_no_pager(admin, received):
    assert pagination(admin.get(LIST_URL)) == ("", {})


# --- filters that cannot be used -------------------------------------------------------------


def other_consultations_tag(make_consultation) -> Tag:
    other = make_consultation(slug="another-consultation", title="Another")
    return new_tag(other, "Elsewhere")


CHOSEN_ONLY = "Select one of the options shown"
INVALID = [
    ({"since": "2027-02-30"}, "since", "Enter a real date, like 2027-03-01"),
    ({"since": "yesterday"}, "since", "Enter a real date, like 2027-03-01"),
    ({"until": "01/06/2027"}, "until", "Enter a real date, like 2027-03-01"),
    ({"since": "1999-12-31"}, "since", "Enter a date in this century, like 2027-03-01"),
    (
        {"since": "2027-06-03", "until": "2027-06-02"},
        "until",
        "The end date must be the same as or after the start date",
    ),
    ({"q": "x" * 10_000}, "q", "Enter 200 characters or fewer"),
    # Values the page never offers: the wording has its own test below.
    ({"channel": "fax"}, "channel", None),
    ({"respondent_type": "Astronaut"}, "respondent_type", None),
    ({"late": "maybe"}, "late", None),
    ({"publish": "everywhere"}, "publish", None),
    ({"tag": "abc"}, "tag", None),
    ({"tag": "99999999999999999999999"}, "tag", None),
    ({"tag": "1"}, "tag", None),  # no tag yet
]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    INVALID,
    ids=[f"{field}-{list(p.values())[-1][:20]}" for p, field, _ in INVALID],
)
def test_an_invalid_filter_is_refused_with_a_message(admin, received, params, field, message):
    shown = admin.get(list_url(**params))

    assert shown.status_code == 422
    soup = page(shown)
    assert page_title(shown) == f"Error: Responses to {TITLE}"
    [(shown_message, target)] = summary_links(shown).items()
    assert target == field
    if message is not None:
        assert shown_message == message
    assert text_of(soup.find(id=f"{field}-error")) == f"Error: {shown_message}"
    assert soup.find(id=field)["aria-invalid"] == "true"
    assert soup.find(id=field)["aria-describedby"].split()[-1] == f"{field}-error"
    assert references(shown) == []
    assert soup.find(class_="found-count") is None
    assert "Correct the filters to see the responses." in text_of(soup)
    assert soup.find("details", class_="filter-details").has_attr("open")
    # What was typed is kept, so it can be corrected.
    if soup.find(id=field).name == "input" and field != "q":
        assert soup.find(id=field)["value"] == params[field]


@pytest.mark.parametrize("name", ["channel", "respondent_type", "late", "publish", "tag"])
def test_the_wording_of_a_crafted_choice_is_the_sites_own(admin, received, name):
    shown = admin.get(list_url(**{name: "crafted"}))

    assert shown.status_code == 422
    assert error_messages(shown) == [CHOSEN_ONLY]


def test_another_consultations_tag_is_refused(admin, received, make_consultation):
    elsewhere = other_consultations_tag(make_consultation)

    shown = admin.get(list_url(tag=str(elsewhere.id)))

    assert shown.status_code == 422
    assert list(summary_links(shown).values()) == ["tag"]
    assert references(shown) == []


def test_several_invalid_filters_are_all_reported(admin, received):
    shown = admin.get(list_url(since="2027-13-01", channel="fax", q="y" * 201))

    assert shown.status_code == 422
    assert set(summary_links(shown).values()) == {"q", "channel", "since"}


def test_a_repeated_filter_uses_the_first_value(admin, received):
    shown = admin.get(f"{LIST_URL}?channel=contact&channel=survey&late=no&late=fax")

    assert shown.status_code == 200, error_messages(shown)
    assert references(shown) == refs(received, "message_call", "message")


def test_a_repeated_filter_whose_first_value_is_invalid_is_refused(admin, received):
    shown = admin.get(f"{LIST_URL}?channel=fax&channel=survey")

    assert shown.status_code == 422
    assert list(summary_links(shown).values()) == ["channel"]


def test_unknown_parameters_are_ignored(admin, received):
    shown = admin.get(f"{LIST_URL}?sort=oldest&channel=calls&format=json")

    assert shown.status_code == 200
    assert references(shown) == refs(received, "message_call")


def test_a_search_of_200_characters_is_allowed(admin, received):
    shown = admin.get(list_url(q=("budgets " * 25)[:200]))

    assert shown.status_code == 200
    assert references(shown) == refs(received, "think_tank", "academic")


def test_an_unknown_consultation_is_not_found(admin):
    assert admin.get("/admin/consultations/no-such-thing/responses").status_code == 404


# --- htmx ------------------------------------------------------------------------------------


HTMX = {"HX-Request": "true", "HX-Target": "found", "HX-Current-URL": "http://localhost/"}


def test_htmx_gets_only_the_list(admin, received):
    shown = admin.get(list_url(channel="survey"), headers=HTMX)

    assert shown.status_code == 200
    assert "HX-Request" in shown.headers.get("Vary", "")
    soup = page(shown)
    assert soup.find("html") is None
    assert soup.find("h1") is None
    assert soup.find("form", attrs={"role": "search"}) is None
    assert text_of(soup.find("title")) == f"Responses to {TITLE}"
    assert references(shown) == refs(received, "officer", "organisation", "resident")
    assert shown_count(shown) == "3 responses match these filters."


def test_htmx_with_an_invalid_filter_gets_the_whole_page_in_place_of_the_body(admin, received):
    """The messages belong by the filters, outside the list htmx aimed at."""
    shown = admin.get(list_url(since="2027-02-30"), headers=HTMX)

    assert shown.status_code == 422
    assert shown.headers["HX-Retarget"] == "body"
    assert shown.headers["HX-Reswap"].startswith("innerHTML")
    soup = page(shown)
    assert soup.find("h1") is not None
    assert summary_links(shown) == {"Enter a real date, like 2027-03-01": "since"}
    assert references(shown) == []


def test_a_whole_page_for_a_history_restore(admin, received):
    shown = admin.get(LIST_URL, headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert shown.status_code == 200
    assert page(shown).find("h1") is not None
    assert references(shown) == refs(received, *NEWEST_FIRST)


def test_the_filter_form_targets_the_list(admin, received):
    form = page(admin.get(LIST_URL)).find("form", attrs={"role": "search"})

    assert form["method"] == "get"
    assert form["action"] == LIST_URL
    assert form["hx-get"] == LIST_URL
    assert form["hx-target"] == "#found"
    assert page(admin.get(LIST_URL)).find(id="found") is not None


# --- who can read ----------------------------------------------------------------------------


def test_an_officer_can_list_filter_and_read_responses(app, received):
    officer = sign_in_officer(app)

    listed = officer.get(list_url(channel="evidence"))
    one = officer.get(f"/admin/responses/{received['think_tank'].id}")

    assert listed.status_code == 200
    assert references(listed) == refs(received, "think_tank", "academic", "late")
    assert one.status_code == 200
    assert THINK_TANK_TEXT in text_of(page(one))


def test_signed_out_people_are_sent_to_sign_in(client, received):
    shown = client.get(LIST_URL)

    assert shown.status_code == 302
    assert urlsplit(shown.headers["Location"]).path == "/admin/login"


def test_a_draft_has_no_page(admin, received):
    db.session.rollback()
    draft = db.session.scalars(select(Response).filter_by(status="draft")).one()

    assert admin.get(f"/admin/responses/{draft.id}").status_code == 404
    assert admin.get("/admin/responses/2147483647").status_code == 404
