"""The dashboard's counts, the survey summary's charts and the published outcome.

Counts per channel and the summary's tallies come from responses sent through the public
forms; the per-day chart's boundary cases use responses stored with the models at exact
instants (and one sent through the form at 23:30 UTC), since what is tested there is
which local day an instant falls on. The clock decides what day it is, and whether the
consultation has closed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Consultation
from tests.support.actors import Officer, Respondent
from tests.support.clients import new_browser
from tests.support.contact import VALID_MESSAGE, send_message
from tests.support.evidence import send as send_evidence
from tests.support.factories import ADMIN_EMAIL, SLUG, TITLE, csrf_token, sign_in_officer
from tests.support.pages import error_messages, page, summary_links, text_of
from tests.support.responses import insert_response, page_title
from tests.support.survey import answer, take_route
from tests.support.survey import send as send_survey

SUMMARY_URL = f"/admin/consultations/{SLUG}/summary"
OUTCOME_URL = f"/admin/consultations/{SLUG}/outcome"
WITHDRAW_URL = f"{OUTCOME_URL}/withdraw"
PUBLIC_URL = f"/consultations/{SLUG}"
DETAILS = {
    "respond_as": "individual",
    "name": "Ada Jones",
    "email": "ada@example.org",
    "publish": "no",
    "consent": "y",
}


# --- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """Several responses come from one address here: the limit has its own tests."""
    app_config["RATELIMIT_ENABLED"] = False
    return app_config


def row_of(response, slug: str = SLUG):
    item = page(response).find("li", id=f"consultation-{slug}")
    assert item is not None, f"no row for {slug}"
    return item


def received_per_channel(response, slug: str = SLUG) -> list[str]:
    row = row_of(response, slug)
    dt = row.find("dt", string="Responses")
    return [text_of(li) for li in dt.find_next_sibling("dd").find_all("li")]


def days_table(response, slug: str = SLUG) -> list[tuple[str, str]]:
    """The per-day table in its <details>, as (day, count), as shown (newest first)."""
    details = row_of(response, slug).find("details")
    assert details is not None, "no table of days"
    return [
        (text_of(tr.find_all("td")[0]), text_of(tr.find_all("td")[1]))
        for tr in details.find("tbody").find_all("tr")
    ]


def chart_caption(response, slug: str = SLUG) -> str:
    return text_of(row_of(response, slug).find("figcaption"))


def columns(response, slug: str = SLUG) -> list[float]:
    """The heights of the day chart's columns, oldest first."""
    svg = row_of(response, slug).find("svg", class_="sparkline")
    return [float(rect["height"]) for rect in svg.find_all("rect")]


def deadline_text(response, slug: str = SLUG) -> str:
    dt = row_of(response, slug).find("dt", string="Deadline")
    return text_of(dt.find_next_sibling("dd"))


def audit(*actions: str) -> list[tuple[str, str, str]]:
    db.session.rollback()
    return [
        (e.actor, e.action, e.detail)
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)
        )
    ]


def stored(slug: str = SLUG) -> Consultation:
    db.session.rollback()
    return db.session.scalars(select(Consultation).filter_by(slug=slug)).one()


# --- responses per channel -------------------------------------------------------------------


def test_the_dashboard_counts_each_consultations_responses_per_channel(
    app, admin, clock, make_survey, make_consultation
):
    consultation = make_survey()
    other = make_consultation(slug="parks", title="Parks", channels=["evidence", "contact"])
    for route in (
        {1: {"q_role": "Resident", "q_postcode": ""}, 4: {"q_confidence": "3"}},
        {1: {"q_role": "Resident", "q_postcode": ""}, 4: {"q_confidence": "5"}},
    ):
        person = new_browser(app)
        take_route(person, route, DETAILS)
        assert send_survey(person, clock).status_code == 303
    assert send_evidence(new_browser(app), clock).status_code == 303
    sent = send_message(new_browser(app), clock, {**VALID_MESSAGE, "wants_call": "no"})
    assert sent.status_code == 303, error_messages(sent)
    answer(new_browser(app), 1, {"q_role": "Resident", "q_postcode": ""})  # a draft
    for number in range(3):
        insert_response(other, clock.now, number, channel="evidence")
    db.session.commit()

    shown = admin.get("/admin/")

    assert shown.status_code == 200
    assert received_per_channel(shown) == ["Survey: 2", "Written evidence: 1", "Messages: 1"]
    assert received_per_channel(shown, "parks") == ["Written evidence: 3", "Messages: 0"]
    assert consultation.id != other.id


# --- responses per day -----------------------------------------------------------------------


def test_days_are_counted_in_uk_summer_time(app, admin, clock, make_survey):
    """At 23:30 UTC on 1 June it is already 2 June in London."""
    clock.set(datetime(2027, 6, 1, 9, 0, tzinfo=UTC))
    consultation = make_survey(opens_at=clock.now, closes_at=clock.now + timedelta(days=30))
    for number, at in enumerate(
        [
            datetime(2027, 6, 1, 9, 30, tzinfo=UTC),
            datetime(2027, 6, 1, 22, 59, 59, tzinfo=UTC),  # 23:59:59 on 1 June
            datetime(2027, 6, 1, 23, 0, tzinfo=UTC),  # midnight: 2 June
            datetime(2027, 6, 2, 22, 59, tzinfo=UTC),  # 23:59 on 2 June
            datetime(2027, 6, 2, 23, 0, tzinfo=UTC),  # 3 June
        ]
    ):
        insert_response(consultation, at, number)
    db.session.commit()
    clock.set(datetime(2027, 6, 1, 23, 29, 55, tzinfo=UTC))  # sent five seconds later
    assert send_evidence(new_browser(app), clock).status_code == 303
    clock.set(datetime(2027, 6, 3, 12, 0, tzinfo=UTC))

    shown = admin.get("/admin/")

    assert days_table(shown) == [("Thu 3 Jun", "1"), ("Wed 2 Jun", "3"), ("Tue 1 Jun", "2")]
    assert chart_caption(shown) == "Responses per day, Tue 1 Jun to Thu 3 Jun: 6 in all"
    assert columns(shown) == [pytest.approx(32.0), pytest.approx(48.0), pytest.approx(16.0)]


def test_days_are_counted_in_greenwich_mean_time_in_winter(admin, clock, make_survey):
    clock.set(datetime(2027, 1, 12, 9, 0, tzinfo=UTC))
    consultation = make_survey(opens_at=clock.now, closes_at=clock.now + timedelta(days=30))
    for number, at in enumerate(
        [
            datetime(2027, 1, 12, 23, 30, tzinfo=UTC),  # still 12 January in London
            datetime(2027, 1, 12, 23, 59, 59, tzinfo=UTC),
            datetime(2027, 1, 13, 0, 0, tzinfo=UTC),
        ]
    ):
        insert_response(consultation, at, number)
    db.session.commit()
    clock.set(datetime(2027, 1, 13, 12, 0, tzinfo=UTC))

    shown = admin.get("/admin/")

    assert days_table(shown) == [("Wed 13 Jan", "1"), ("Tue 12 Jan", "2")]


def test_the_day_the_clocks_go_forward(admin, clock, make_survey):
    """On 28 March 2027 the UK moves to BST at 01:00 UTC: 23:30 UTC is 00:30 on the 29th."""
    clock.set(datetime(2027, 3, 27, 9, 0, tzinfo=UTC))
    consultation = make_survey(opens_at=clock.now, closes_at=clock.now + timedelta(days=30))
    for number, at in enumerate(
        [
            datetime(2027, 3, 27, 23, 30, tzinfo=UTC),  # 23:30 GMT on the 27th
            datetime(2027, 3, 28, 0, 30, tzinfo=UTC),  # 00:30 GMT on the 28th
            datetime(2027, 3, 28, 22, 30, tzinfo=UTC),  # 23:30 BST on the 28th
            datetime(2027, 3, 28, 23, 30, tzinfo=UTC),  # 00:30 BST on the 29th
        ]
    ):
        insert_response(consultation, at, number)
    db.session.commit()
    clock.set(datetime(2027, 3, 29, 12, 0, tzinfo=UTC))

    shown = admin.get("/admin/")

    assert days_table(shown) == [("Mon 29 Mar", "1"), ("Sun 28 Mar", "2"), ("Sat 27 Mar", "1")]


def test_only_the_last_28_days_are_charted(admin, clock, make_survey):
    clock.set(datetime(2027, 6, 30, 12, 0, tzinfo=UTC))
    opened = datetime(2027, 5, 1, 9, 0, tzinfo=UTC)
    consultation = make_survey(opens_at=opened, closes_at=clock.now + timedelta(days=10))
    insert_response(consultation, datetime(2027, 5, 2, 10, 0, tzinfo=UTC), 1)  # too long ago
    insert_response(consultation, datetime(2027, 6, 2, 22, 30, tzinfo=UTC), 2)  # 23:30 BST
    insert_response(consultation, datetime(2027, 6, 3, 10, 0, tzinfo=UTC), 3)
    insert_response(consultation, datetime(2027, 6, 30, 11, 0, tzinfo=UTC), 4)
    db.session.commit()

    shown = admin.get("/admin/")

    days = days_table(shown)
    assert len(days) == 28
    assert days[0] == ("Wed 30 Jun", "1")
    assert days[-1] == ("Thu 3 Jun", "1")
    assert ("Wed 2 Jun", "1") not in days
    assert chart_caption(shown) == "Responses per day, Thu 3 Jun to Wed 30 Jun: 2 in all"
    assert len(columns(shown)) == 28
    assert received_per_channel(shown)[1] == "Written evidence: 4"  # the totals count all


def test_a_closed_consultations_chart_ends_on_its_last_day(admin, clock, make_survey):
    clock.set(datetime(2027, 6, 1, 9, 0, tzinfo=UTC))
    consultation = make_survey(
        opens_at=clock.now, closes_at=datetime(2027, 6, 3, 16, 0, tzinfo=UTC)
    )
    insert_response(consultation, datetime(2027, 6, 3, 16, 20, tzinfo=UTC), 1, late=True)
    db.session.commit()
    clock.set(datetime(2027, 6, 20, 12, 0, tzinfo=UTC))

    shown = admin.get("/admin/")

    assert days_table(shown) == [("Thu 3 Jun", "1"), ("Wed 2 Jun", "0"), ("Tue 1 Jun", "0")]
    assert "left" not in deadline_text(shown)


def test_a_consultation_opened_again_after_its_deadline_charts_up_to_today(
    admin, clock, make_survey
):
    clock.set(datetime(2027, 6, 1, 9, 0, tzinfo=UTC))
    consultation = make_survey(
        opens_at=clock.now, closes_at=datetime(2027, 6, 3, 16, 0, tzinfo=UTC)
    )
    consultation.override = "open"  # an admin opened it again after the deadline
    insert_response(consultation, datetime(2027, 6, 9, 10, 0, tzinfo=UTC), 1)
    db.session.commit()
    clock.set(datetime(2027, 6, 10, 12, 0, tzinfo=UTC))

    shown = admin.get("/admin/")

    days = days_table(shown)
    assert days[0] == ("Thu 10 Jun", "0")
    assert ("Wed 9 Jun", "1") in days
    assert chart_caption(shown).endswith(": 1 in all")


def test_a_message_after_the_close_extends_the_chart_to_its_day(admin, clock, make_survey):
    clock.set(datetime(2027, 6, 1, 9, 0, tzinfo=UTC))
    consultation = make_survey(
        opens_at=clock.now, closes_at=datetime(2027, 6, 3, 16, 0, tzinfo=UTC)
    )
    insert_response(consultation, datetime(2027, 6, 7, 10, 0, tzinfo=UTC), 1)
    db.session.commit()
    clock.set(datetime(2027, 6, 20, 12, 0, tzinfo=UTC))

    shown = admin.get("/admin/")

    assert days_table(shown)[0] == ("Mon 7 Jun", "1")


# --- time left -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closes_in", "shown"),
    [
        (timedelta(days=21), "21 days left"),
        (timedelta(days=1, hours=3), "1 day left"),
        (timedelta(hours=5, minutes=10), "5 hours left"),
        (timedelta(minutes=30), "30 minutes left"),
    ],
)
def test_an_open_consultation_says_how_long_is_left(admin, clock, make_survey, closes_in, shown):
    make_survey(closes_at=clock.now + closes_in)

    dashboard = admin.get("/admin/")

    assert deadline_text(dashboard).endswith(shown)
    assert row_of(dashboard).find("span", class_="tag-open") is not None


@pytest.mark.parametrize(
    ("opens_in", "closes_in", "state"),
    [
        (timedelta(days=2), timedelta(days=30), "forthcoming"),
        (-timedelta(days=9), -timedelta(days=1), "closed"),
    ],
)
def test_no_time_left_is_shown_unless_open(admin, clock, make_survey, opens_in, closes_in, state):
    make_survey(opens_at=clock.now + opens_in, closes_at=clock.now + closes_in)

    dashboard = admin.get("/admin/")

    assert "left" not in deadline_text(dashboard)
    assert text_of(row_of(dashboard).find("span", class_=f"tag-{state}")) == state.capitalize()


# --- who may change the state ----------------------------------------------------------------


def test_an_admin_has_the_state_control_and_an_officer_does_not(app, admin, make_survey):
    make_survey()
    officer = sign_in_officer(app)

    as_admin = row_of(admin.get("/admin/"))
    as_officer = row_of(officer.get("/admin/"))

    control = as_admin.find("form", action=f"/admin/consultations/{SLUG}/state")
    assert control is not None
    assert [b["value"] for b in control.find_all("button", attrs={"name": "override"})] == [
        "auto",
        "open",
        "closed",
    ]
    assert control.find("button", attrs={"aria-pressed": "true"})["value"] == "auto"
    assert as_officer.find("form", action=re.compile(r"/state$")) is None
    assert as_officer.find("button", attrs={"name": "override"}) is None
    assert as_officer.find("a", href=f"/admin/consultations/{SLUG}/dates") is None
    assert as_admin.find("a", href=f"/admin/consultations/{SLUG}/dates") is not None
    # Both read the same numbers.
    assert days_table(admin.get("/admin/")) == days_table(officer.get("/admin/"))


# --- the survey summary ----------------------------------------------------------------------


ROUTES = [
    # A council officer: pages 1, 3 and 4.
    {
        1: {"q_role": "Council officer", "q_postcode": ""},
        3: {"q_commissions": "yes", "q_budget": "4"},
        4: {"q_confidence": "2"},
    },
    # Community organisations: pages 1, 2 and 4; the follow-up only after "yes".
    {
        1: {"q_role": "Community organisation", "q_postcode": ""},
        2: {
            "q_delivers_now": "yes",
            "q_obstacles": ["Paperwork", "Contract size", "__other__"],
            "other_obstacles": "Insurance costs",
        },
        4: {"q_confidence": "4"},
    },
    {
        1: {"q_role": "Community organisation", "q_postcode": ""},
        2: {"q_delivers_now": "no"},
        4: {"q_confidence": "4"},
    },
    # A resident: pages 1 and 4 only.
    {1: {"q_role": "Resident", "q_postcode": ""}, 4: {"q_confidence": "5"}},
]

EXPECTED_TALLIES = {
    "Which best describes you?": (
        "4 answered.",
        [
            ("Community organisation", "2", "50%"),
            ("Council officer", "1", "25%"),
            ("Resident", "1", "25%"),
        ],
    ),
    "Do you deliver public service contracts today?": (
        "2 answered.",
        [("Yes", "1", "50%"), ("No", "1", "50%")],
    ),
    "What gets in the way?": (
        "1 answered; they could choose more than one.",
        [
            ("Paperwork", "1", "100%"),
            ("Contract size", "1", "100%"),
            ("Payment terms", "0", "0%"),
            ("Other", "1", "100%"),
        ],
    ),
    "Do you commission services?": ("1 answered.", [("Yes", "1", "100%"), ("No", "0", "0%")]),
    "How far do you agree that services are bought well?": (
        "4 answered.",
        [
            ("1 – Strongly disagree", "0", "0%"),
            ("2", "1", "25%"),
            ("3", "0", "0%"),
            ("4", "2", "50%"),
            ("5 – Strongly agree", "1", "25%"),
        ],
    ),
}


@pytest.fixture
def answered(app, clock, make_survey):
    """The four routes sent through the survey's forms, and a draft that is not counted."""
    consultation = make_survey()
    for route in ROUTES:
        respondent = Respondent(app, clock)
        respondent.takes_route(route, DETAILS)
        sent = respondent.sends()
        assert sent.status_code == 303, error_messages(sent)
    Respondent(app, clock).answers_page(1, {"q_role": "Resident", "q_postcode": ""})
    return consultation


def tallies(response) -> dict[str, tuple[str, list[tuple[str, str, str]]]]:
    """Each chart's question: (the hint, the table's rows)."""
    found = {}
    for section in page(response).find_all("section", class_="chart"):
        rows = [
            tuple(text_of(td) for td in tr.find_all("td"))
            for tr in section.find("table").find("tbody").find_all("tr")
        ]
        found[text_of(section.find("h2"))] = (text_of(section.find(class_="hint")), rows)
    return found


def test_the_summary_counts_the_choices_on_each_route(admin, answered):
    shown = admin.get(SUMMARY_URL)

    assert shown.status_code == 200
    assert tallies(shown) == EXPECTED_TALLIES
    assert "4 survey responses." in text_of(page(shown).find("main"))


def test_each_chart_draws_the_numbers_of_its_table_and_is_hidden_from_screen_readers(
    admin, answered
):
    shown = admin.get(SUMMARY_URL)

    sections = page(shown).find_all("section", class_="chart")
    assert len(sections) == len(EXPECTED_TALLIES)
    for section in sections:
        svg = section.find("svg")
        assert svg["aria-hidden"] == "true"
        assert svg["focusable"] == "false"
        table = [
            [text_of(td) for td in tr.find_all("td")] for tr in section.find("tbody").find_all("tr")
        ]
        labels = [text_of(t) for t in svg.find_all("text", class_="bar-label")]
        counts = [text_of(t) for t in svg.find_all("text", class_="bar-count")]
        lengths = [float(rect["width"]) for rect in svg.find_all("rect", class_="bar")]
        assert labels == [row[0] for row in table]
        assert counts == [row[1] for row in table]
        most = max(int(row[1]) for row in table)
        assert lengths == [pytest.approx(240 * int(row[1]) / most) for row in table]
        assert section["aria-labelledby"] == section.find("h2")["id"]


def test_a_summary_with_no_responses_counts_nothing(admin, make_survey):
    make_survey()

    shown = admin.get(SUMMARY_URL)

    assert shown.status_code == 200
    assert "0 survey responses." in text_of(page(shown).find("main"))
    for hint, rows in tallies(shown).values():
        assert hint.startswith("0 answered")
        assert {(count, share) for _, count, share in rows} == {("0", "0%")}


def test_an_officer_reads_the_summary(app, answered):
    officer = Officer.signs_in(app)

    shown = officer.reads(SUMMARY_URL)

    assert shown.status_code == 200
    assert tallies(shown) == EXPECTED_TALLIES


# --- the outcome: "You said, we did" ---------------------------------------------------------


OUTCOME = (
    "# What we heard\n\n"
    "Most of you said **buses** matter.\n\n"
    "- More routes\n"
    "- Later buses\n\n"
    "<script>alert('outcome')</script>"
)


@pytest.fixture
def consultation(make_survey):
    return make_survey()


@pytest.fixture
def after_the_deadline(clock, consultation):
    clock.set(consultation.closes_at + timedelta(days=1))
    return consultation


def publish(browser, text: str):
    token = csrf_token(browser, "/admin/")
    return browser.post(OUTCOME_URL, data={"outcome": text, "csrf_token": token})


def withdraw(browser):
    token = csrf_token(browser, "/admin/")
    return browser.post(WITHDRAW_URL, data={"csrf_token": token})


def public_outcome(client):
    """The outcome's section on the public page, or None."""
    shown = client.get(PUBLIC_URL)
    assert shown.status_code == 200
    return page(shown).find("section", class_="outcome")


def test_the_outcome_cannot_be_published_while_the_consultation_is_open(admin, consultation):
    form_page = page(admin.get(OUTCOME_URL))
    assert form_page.find("textarea", attrs={"name": "outcome"}) is None
    assert "You can publish the outcome once the consultation has closed." in text_of(form_page)

    refused = publish(admin, OUTCOME)

    assert refused.status_code == 409
    assert "The consultation has not closed, so the outcome cannot be published yet." in text_of(
        page(refused)
    )
    assert stored().outcome_published_at is None
    assert stored().outcome == ""
    assert public_outcome(admin) is None
    assert audit("publish_outcome") == []


def test_an_admin_publishes_the_outcome_once_closed_and_it_shows_on_the_public_page(
    app, admin, after_the_deadline, clock
):
    published = publish(admin, f"  {OUTCOME}  ")

    assert published.status_code == 303
    assert published.headers["Location"].endswith(OUTCOME_URL)
    shown = page(admin.get(OUTCOME_URL))
    assert "The outcome is published on the consultation's page." in text_of(shown)
    assert stored().outcome == OUTCOME
    assert stored().outcome_published_at == clock.now
    assert audit("publish_outcome") == [(ADMIN_EMAIL, "publish_outcome", "Published the outcome")]

    section = public_outcome(new_browser(app))  # anyone, not signed in
    assert text_of(section.find("h2")) == "You said, we did"
    prose = section.find(class_="prose")
    assert text_of(prose.find("h2")) == "What we heard"  # the page's only h1 is its title
    assert text_of(prose.find("strong")) == "buses"
    assert [text_of(li) for li in prose.find_all("li")] == ["More routes", "Later buses"]
    assert prose.find("script") is None
    assert "<script>alert('outcome')</script>" in text_of(prose)


def test_a_published_outcome_can_be_changed(app, admin, after_the_deadline):
    publish(admin, "First version.")

    changed = publish(admin, "Second version.")
    again = publish(admin, "Second version.")

    assert (changed.status_code, again.status_code) == (303, 303)
    assert text_of(public_outcome(new_browser(app)).find(class_="prose")) == "Second version."
    assert audit("publish_outcome") == [
        (ADMIN_EMAIL, "publish_outcome", "Published the outcome"),
        (ADMIN_EMAIL, "publish_outcome", "Changed the published outcome"),
    ]


def test_withdrawing_hides_the_outcome_and_keeps_its_text(app, admin, after_the_deadline):
    publish(admin, "What we did.")

    withdrawn = withdraw(admin)

    assert withdrawn.status_code == 303
    assert public_outcome(new_browser(app)) is None
    assert stored().outcome_published_at is None
    shown = page(admin.get(OUTCOME_URL))
    assert "Nothing is published yet." in text_of(shown)
    assert shown.find("textarea", attrs={"name": "outcome"}).get_text() == "What we did."
    assert audit("withdraw_outcome") == [(ADMIN_EMAIL, "withdraw_outcome", "Withdrew the outcome")]

    assert withdraw(admin).status_code == 303  # nothing to withdraw: no second event
    assert len(audit("withdraw_outcome")) == 1
    assert publish(admin, "What we did.").status_code == 303
    assert public_outcome(new_browser(app)) is not None


def test_the_outcome_shows_only_while_the_consultation_is_closed(app, admin, after_the_deadline):
    publish(admin, "What we did.")
    consultation = stored()
    consultation.override = "open"
    db.session.commit()

    assert public_outcome(new_browser(app)) is None

    consultation.override = "auto"
    db.session.commit()
    assert public_outcome(new_browser(app)) is not None


def test_a_consultation_closed_by_hand_before_its_deadline_can_publish(app, admin, consultation):
    consultation.override = "closed"
    db.session.commit()

    assert publish(admin, "Closed early; here is why.").status_code == 303
    assert text_of(public_outcome(new_browser(app)).find(class_="prose")) == (
        "Closed early; here is why."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Enter the outcome"), ("  \r\n ", "Enter the outcome"), ("x" * 20_001, None)],
    ids=["empty", "spaces", "too-long"],
)
def test_an_outcome_that_cannot_be_published_is_refused_with_its_text_kept(
    admin, after_the_deadline, text, message
):
    message = message or "Enter 20,000 characters or fewer"

    refused = publish(admin, text)

    assert refused.status_code == 422
    assert page_title(refused) == f"Error: Outcome of {TITLE}"
    assert summary_links(refused) == {message: "outcome"}
    if text.strip():
        assert page(refused).find("textarea", id="outcome").get_text() == text
    assert stored().outcome_published_at is None
    assert audit("publish_outcome") == []


def test_20000_characters_are_allowed(admin, after_the_deadline):
    assert publish(admin, "y" * 20_000).status_code == 303
    assert len(stored().outcome) == 20_000


def test_an_officer_reads_the_outcome_but_cannot_publish_or_withdraw(
    app, admin, after_the_deadline
):
    publish(admin, "We will run **more buses**.")
    officer = sign_in_officer(app)

    shown = officer.get(OUTCOME_URL)
    assert shown.status_code == 200
    assert page(shown).find("form", action=OUTCOME_URL) is None
    assert page(shown).find("form", action=WITHDRAW_URL) is None
    assert page(shown).find("textarea", attrs={"name": "outcome"}) is None
    assert text_of(page(shown).find(class_="prose").find("strong")) == "more buses"

    refused = [publish(officer, "Officer's version."), withdraw(officer)]

    assert [r.status_code for r in refused] == [403, 403]
    assert stored().outcome == "We will run **more buses**."
    assert stored().outcome_published_at is not None
    assert len(audit("publish_outcome", "withdraw_outcome")) == 1


def test_publishing_and_withdrawing_need_the_csrf_token(admin, after_the_deadline):
    for url, data in ((OUTCOME_URL, {"outcome": "No token."}), (WITHDRAW_URL, {})):
        refused = admin.post(url, data=data)
        assert refused.status_code == 400, url
    assert stored().outcome_published_at is None
    assert audit("publish_outcome", "withdraw_outcome") == []


def test_typed_answers_are_counted_apart_from_an_option_called_other(app):
    """A question offering "Other" as an option and a box for your own words counts the
    two apart; an option that itself starts "Other: " is counted as itself."""
    from types import SimpleNamespace

    from app.survey import results

    question = SimpleNamespace(
        key="help",
        type="multi",
        options=["Other", "Other: not listed", "Buses"],
        settings={"allow_other": True},
        show_if={},
        page=1,
        position=1,
    )
    answers = {"help": ["Other", "Other: not listed", "Other: a bike scheme"]}

    assert results.chosen([question], answers) == [
        ("help", "Other"),
        ("help", "Other: not listed"),
        ("help", "Other (own words)"),
    ]
