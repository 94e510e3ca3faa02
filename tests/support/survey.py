"""A respondent's journey through the survey over HTTP, step by step.

A respondent is a test client: it opens a page, reads the form's hidden fields (CSRF token,
`loaded` stamp, the draft's token) and sends the form, keeping its cookies like a browser.
The survey is tests/support/factories.py's SURVEY_PAGES: page 1 asks everyone; page 2 only
community organisations (`obstacles` follows `delivers_now` on the same page); page 3
only council officers; page 4 everyone.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from app.extensions import db
from app.models import Response
from tests.support.factories import SLUG
from tests.support.outbox import outbox
from tests.support.pages import error_messages, hidden_fields, page, stamped_form, where

SURVEY = f"/consultations/{SLUG}/survey"
CHECK = f"{SURVEY}/check"
DETAILS_URL = f"{SURVEY}/details"
CONFIRMATION = f"{SURVEY}/confirmation"
RESPONDENT = "ada@example.org"

ORGANISATION = "Community organisation"
COUNCIL = "Council officer"
RESIDENT = "Resident"
STORY = "We buy too much from too few suppliers."

OFFICER_ROUTE = {
    1: {"q_role": COUNCIL, "q_postcode": "AB1 2CD"},
    3: {"q_commissions": "yes", "q_budget": "12"},
    4: {"q_confidence": "2", "q_story": STORY, "q_contact_email": "ada.work@example.org"},
}

ORGANISATION_ROUTE = {
    1: {"q_role": ORGANISATION, "q_postcode": "ZZ9 9ZZ"},
    2: {
        "q_delivers_now": "yes",
        "q_obstacles": ["Paperwork", "__other__"],
        "other_obstacles": "Insurance",
    },
    4: {"q_confidence": "4", "q_story": STORY},
}

DETAILS = {
    "respond_as": "individual",
    "name": "Ada Jones",
    "email": RESPONDENT,
    "publish": "anonymous",
    "consent": "y",
}


def page_url(number: int, **query: str) -> str:
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return f"{SURVEY}/pages/{number}{suffix}"


def open_step(client, path: str, **kwargs):
    """GET a survey step, which must show its form."""
    shown = client.get(path, **kwargs)
    assert shown.status_code == 200, (path, shown.status_code, shown.headers.get("Location"))
    return shown


def send_form(client, shown, data: dict, **kwargs):
    """Send the form on the page `shown` with `data`, as a browser would.

    The form's hidden fields go too; a value of None in `data` leaves that field out.
    """
    form = stamped_form(page(shown))
    fields = {**hidden_fields(shown), **data}
    fields = {name: value for name, value in fields.items() if value is not None}
    return client.post(form["action"], data=fields, **kwargs)


def post_form(client, path: str, data: dict, **kwargs):
    """Open the step at `path` and send its form with `data`."""
    return send_form(client, open_step(client, path), data, **kwargs)


def answer(client, number: int, data: dict) -> str:
    """Answer a question page; it must be accepted. Returns where it leads."""
    response = post_form(client, page_url(number), data)
    assert response.status_code == 303, error_messages(response)
    return where(response)


def give_details(client, details: dict = DETAILS) -> str:
    response = post_form(client, DETAILS_URL, details)
    assert response.status_code == 303, error_messages(response)
    return where(response)


def take_route(client, route: dict[int, dict], details: dict = DETAILS) -> None:
    """Answer each page of a route, then the details: the respondent is at the check page."""
    for number, data in route.items():
        answer(client, number, data)
    assert give_details(client, details) == CHECK


def send(client, clock, seconds: float = 5, **kwargs):
    """Wait like a person, then press "Send response" on the check page."""
    shown = open_step(client, CHECK)
    clock.advance(seconds=seconds)
    return send_form(client, shown, {}, **kwargs)


def responses() -> list[Response]:
    """Every survey response as stored now."""
    db.session.rollback()
    return list(
        db.session.scalars(select(Response).filter_by(channel="survey").order_by(Response.id))
    )


def the_response() -> Response:
    stored = responses()
    assert len(stored) == 1, f"expected one response, found {len(stored)}"
    return stored[0]


def save_on_page_2(client) -> str:
    """Answer page 1, then on page 2 choose "Save and come back later"."""
    answer(client, 1, ORGANISATION_ROUTE[1])
    saving = post_form(client, page_url(2), {**ORGANISATION_ROUTE[2], "action": "save"})
    assert saving.status_code == 303
    return where(saving)


def emailed_link() -> str:
    """The path of the newest "continue later" link in the outbox."""
    body = outbox("resume")[-1].body_text
    return urlsplit(re.search(r"https?://\S+/resume/\S+", body).group(0)).path


def save_and_email_link(client) -> str:
    """Save on page 2 and have the link emailed; returns the link's path."""
    save_on_page_2(client)
    sent = post_form(client, f"{SURVEY}/save", {"email": RESPONDENT})
    assert where(sent) == f"{SURVEY}/saved"
    return emailed_link()


def open_link(browser, link: str):
    """Open an emailed link as a person would, pressing "Continue the survey" when asked."""
    opened = browser.get(link)
    button = page(opened).find("button", string="Continue the survey")
    if opened.status_code != 200 or button is None:
        return opened
    form = button.find_parent("form")
    hidden = form.find_all("input", attrs={"type": "hidden"})
    return browser.post(form["action"], data={field["name"]: field["value"] for field in hidden})
