"""A response its respondent withdraws is gone from everything the team reads: every admin
page (the dashboard's counts and chart, the list and its search, the response's own page,
the survey's charts, the calls page), both exports, the officer's daily digest and the
summary sent at the close.

Five people take part through the public forms: two survey responses, two pieces of
written evidence (one with a document) and a message with a call booked. Three of them,
all called "… Gone", withdraw (app.privacy.withdrawal, the service the respondent's
withdrawal page calls). Every check is made before the withdrawals too, so that each
is seen to find what it looks for. Emails are read from the real SMTP server.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import SUBMITTED, Booking, Consultation, OutboxEmail, Response
from app.privacy.withdrawal import withdraw
from tests.support import sample_files as sf
from tests.support.actors import Respondent
from tests.support.clients import START
from tests.support.contact import VALID_MESSAGE, call_url, publish
from tests.support.evidence import VALID as EVIDENCE
from tests.support.factories import SLUG
from tests.support.pages import error_messages, page, text_of
from tests.support.responses import LIST_URL
from tests.support.smtp_server import Received
from tests.support.survey import DETAILS, OFFICER_ROUTE

OFFICER = "officer@example.org"
WORD = "Gone"  # in the name of everyone who withdraws, and nobody else's
DOMAIN = "gone.example"  # their email addresses'
CALL_AT = START + timedelta(days=4) - timedelta(hours=2)  # 10am UK time on 5 February
DIGEST_AT = START + timedelta(hours=20, minutes=30)  # 8:30am UK time the next day
RESIDENT_ROUTE = {1: {"q_role": "Resident", "q_postcode": ""}, 4: {"q_confidence": "3"}}
ROLE_QUESTION = "Which best describes you?"


def person(first: str, surname: str, domain: str) -> dict[str, str]:
    return {"name": f"{first} {surname}", "email": f"{first.lower()}@{domain}"}


# --- sending, and withdrawing ------------------------------------------------------------------


def sent(response) -> None:
    assert response.status_code == 303, (response.status_code, error_messages(response))


def latest(channel: str) -> Response:
    db.session.rollback()
    return db.session.scalars(
        select(Response).filter_by(channel=channel, status=SUBMITTED).order_by(Response.id.desc())
    ).first()


def send_survey(app: Flask, clock, route: dict, who: dict) -> Response:
    respondent = Respondent(app, clock)
    respondent.takes_route(route, {**DETAILS, **who})
    sent(respondent.sends())
    return latest("survey")


def send_evidence(app: Flask, clock, who: dict, files=()) -> Response:
    sent(Respondent(app, clock).sends_evidence({**EVIDENCE, **who, "organisation": ""}, files))
    return latest("evidence")


def send_message_and_book(app: Flask, clock, who: dict, slot) -> Response:
    respondent = Respondent(app, clock)
    fields = {**VALID_MESSAGE, **who, "organisation": f"{WORD} Tenants"}
    sent(respondent.books(call_url(respondent.sends_message(fields)), slot))
    return latest("contact")


def send_outbox(runner) -> None:
    """What the outbox worker does in one round: queue what is due, then send it."""
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, (result.output, result.exception)


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["RATELIMIT_ENABLED"] = False  # five people here share one test address
    return app_config


@pytest.fixture
def consultation(make_survey) -> Consultation:
    consultation = make_survey()
    consultation.alert_mode = "daily"  # the officer's alerts wait for the morning digest
    db.session.commit()
    return consultation


@pytest.fixture
def responses(app, clock, consultation, smtp_server, runner) -> dict[str, Response]:
    """Five responses, their receipts delivered; those called "gone" will be withdrawn."""
    [slot] = publish(consultation, CALL_AT)
    made = {
        "kept survey": send_survey(
            app, clock, RESIDENT_ROUTE, person("Kit", "Stays", "stays.example")
        ),
        "gone survey": send_survey(app, clock, OFFICER_ROUTE, person("Wanda", WORD, DOMAIN)),
        "kept evidence": send_evidence(app, clock, person("Kay", "Stays", "stays.example")),
        "gone evidence": send_evidence(
            app, clock, person("Winnie", WORD, DOMAIN), [sf.upload("pdf")]
        ),
        "gone message": send_message_and_book(app, clock, person("Walter", WORD, DOMAIN), slot),
    }
    send_outbox(runner)
    return made


def withdraw_the_gone(responses: dict[str, Response], clock) -> None:
    """The three respondents called "Gone" withdraw, an hour after sending."""
    clock.advance(hours=1)
    gone = {name: response for name, response in responses.items() if name.startswith("gone")}
    for response in gone.values():
        db.session.rollback()
        assert withdraw(db.session.get(Response, response.id), clock.now) == response.reference


def references(responses: dict[str, Response], which: str) -> set[str]:
    return {r.reference for name, r in responses.items() if name.startswith(which)}


# --- what the team reads ------------------------------------------------------------------------


def staff_pages(app: Flask) -> list[str]:
    """Every admin address a GET reaches with no more than the consultation's slug:
    the site's pages and the consultation's (signing in and out aside)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods:
            continue
        if rule.arguments <= {"slug"} and rule.endpoint not in ("admin.login", "admin.logout"):
            paths.append(rule.rule.replace("<slug>", SLUG))
    return sorted(paths)


def html_pages(admin, app: Flask) -> dict[str, tuple[int, str]]:
    """The status and text of every admin page that is a page, by its path (a page may
    refuse, as "Set back to draft" does once there are responses, and still say why)."""
    texts = {}
    for path in staff_pages(app):
        shown = admin.get(path)
        assert shown.status_code < 500, (path, shown.status_code)
        if shown.mimetype == "text/html":
            texts[path] = (shown.status_code, text_of(page(shown)))
    return texts


def status(admin, path: str) -> int:
    """The status of a GET, its body let go (a document's download holds its file open)."""
    shown = admin.get(path)
    shown.close()
    return shown.status_code


def dashboard(admin) -> tuple[dict[str, str], str]:
    """The consultation's counts per channel, and the caption of its chart per day."""
    row = page(admin.get("/admin/")).find(id=f"consultation-{SLUG}")
    counts = dict(
        text_of(item).split(": ")
        for item in row.find("dt", string="Responses").find_next("dd")("li")
    )
    return counts, text_of(row.find("figcaption"))


def listed(admin, **query: str) -> tuple[str, list[str]]:
    """What the list says it found, and the references it lists."""
    shown = page(admin.get(LIST_URL, query_string=query))
    table = shown.find("tbody")
    rows = [text_of(row.find("td")) for row in table.find_all("tr")] if table else []
    return text_of(shown.find(class_="found-count")), rows


def chart(admin, prompt: str) -> tuple[str, dict[str, str]]:
    """The survey summary's opening sentence, and one question's table: answer -> people."""
    shown = page(admin.get(f"/admin/consultations/{SLUG}/summary"))
    table = shown.find("caption", string=prompt).find_parent("table")
    rows = [[text_of(cell) for cell in row("td")] for row in table.find("tbody")("tr")]
    return text_of(shown.find("main").find("p")), {row[0]: row[1] for row in rows}


def csv_export(admin) -> list[list[str]]:
    download = admin.get(f"/admin/consultations/{SLUG}/responses.csv")
    assert download.status_code == 200
    text = download.get_data().decode("utf-8-sig")
    download.close()
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_export(admin) -> list[list[str]]:
    download = admin.get(f"/admin/consultations/{SLUG}/responses.xlsx")
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(download.get_data()))["Responses"]
    download.close()
    return [
        ["" if cell is None else str(cell) for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]


def exported(rows: list[list[str]]) -> tuple[set[str], str]:
    """The references in an export, and every cell of it as one text."""
    return {row[0] for row in rows[1:]}, " ".join(cell for row in rows for cell in row)


def held_alerts(responses: dict[str, Response]) -> set[str]:
    """The references whose officer's alert is waiting for the digest."""
    db.session.rollback()
    keys = db.session.scalars(
        select(OutboxEmail.event_key).filter_by(kind="alert", status="held")
    ).all()
    return {r.reference for r in responses.values() if any(k.endswith(r.reference) for k in keys)}


def to_officer(smtp_server, subject: str) -> Received:
    """The one email to the officer whose subject holds `subject`."""
    [email] = [
        received
        for received in smtp_server.received
        if OFFICER in received.rcpt_tos and subject in received.message["Subject"]
    ]
    return email


def attached_csv(email: Received) -> str:
    [attachment] = list(email.message.iter_attachments())
    return attachment.get_payload(decode=True).decode("utf-8-sig")


# --- the admin area ------------------------------------------------------------------------------


def test_the_dashboard_no_longer_counts_them(admin, clock, responses):
    assert dashboard(admin) == (
        {"Survey": "2", "Written evidence": "2", "Messages": "1"},
        "Responses per day, Mon 25 Jan to Mon 1 Feb: 5 in all",
    )

    withdraw_the_gone(responses, clock)

    assert dashboard(admin) == (
        {"Survey": "1", "Written evidence": "1", "Messages": "0"},
        "Responses per day, Mon 25 Jan to Mon 1 Feb: 2 in all",
    )


def test_the_list_and_its_search_no_longer_find_them(admin, clock, responses):
    count, shown = listed(admin)
    assert (count, set(shown)) == ("5 responses received.", references(responses, ""))
    assert set(listed(admin, q=WORD)[1]) == references(responses, "gone")
    gone_reference = responses["gone evidence"].reference
    assert listed(admin, q=gone_reference)[1] == [gone_reference]

    withdraw_the_gone(responses, clock)

    count, shown = listed(admin)
    assert count == "2 responses received."
    assert set(shown) == references(responses, "kept")
    assert listed(admin, q=WORD) == ("0 responses match these filters.", [])
    assert listed(admin, q=gone_reference) == ("0 responses match these filters.", [])
    assert listed(admin, q="Stays")[0] == "2 responses match these filters."


def test_their_pages_documents_and_calls_are_not_found(admin, clock, responses):
    gone = [r for name, r in responses.items() if name.startswith("gone")]
    [document] = responses["gone evidence"].attachments
    [booking] = db.session.scalars(
        select(Booking).filter_by(response_id=responses["gone message"].id)
    ).all()
    paths = [
        *(f"/admin/responses/{r.id}" for r in gone),
        *(f"/admin/responses/{r.id}/delete" for r in gone),
        f"/admin/attachments/{document.id}",
        f"/admin/calls/{booking.id}/cancel",
    ]
    assert [status(admin, path) for path in paths] == [200] * len(paths)

    withdraw_the_gone(responses, clock)

    assert [status(admin, path) for path in paths] == [404] * len(paths)
    for name in ("kept survey", "kept evidence"):
        assert admin.get(f"/admin/responses/{responses[name].id}").status_code == 200


def test_the_survey_charts_no_longer_count_them(admin, clock, responses):
    assert chart(admin, ROLE_QUESTION) == (
        "2 survey responses. Each chart counts the people who answered that question; people"
        " who chose more than one option are counted once for each.",
        {"Community organisation": "0", "Council officer": "1", "Resident": "1"},
    )

    withdraw_the_gone(responses, clock)

    opening, counts = chart(admin, ROLE_QUESTION)
    assert opening.startswith("1 survey response.")
    assert counts == {"Community organisation": "0", "Council officer": "0", "Resident": "1"}


def test_the_calls_page_frees_the_time_they_booked(admin, clock, responses):
    calls = f"/admin/consultations/{SLUG}/calls"
    before = page(admin.get(calls))
    assert f"Walter {WORD}" in text_of(before.find("table"))

    withdraw_the_gone(responses, clock)

    after = page(admin.get(calls))
    assert "No calls are booked." in text_of(after)
    assert WORD not in text_of(after)
    assert "10am to 10:30am" in text_of(after)  # the time itself is free to book again


def test_no_admin_page_holds_their_details_any_more(app, admin, clock, responses):
    before = html_pages(admin, app)
    assert {path for path, (_status, text) in before.items() if WORD in text} >= {
        LIST_URL,
        f"/admin/consultations/{SLUG}/calls",
    }

    withdraw_the_gone(responses, clock)

    after = html_pages(admin, app)
    assert {path: status for path, (status, _text) in after.items()} == {
        path: status for path, (status, _text) in before.items()
    }
    holding = {
        path: [word for word in (WORD, DOMAIN) if word in text]
        for path, (_status, text) in after.items()
    }
    assert {path: words for path, words in holding.items() if words} == {}


def test_the_audit_log_says_the_respondent_withdrew_each_by_reference(admin, clock, responses):
    withdraw_the_gone(responses, clock)

    rows = page(admin.get("/admin/audit")).find("tbody")("tr")
    said = [[text_of(cell) for cell in row("td")][1:3] for row in rows]
    kinds = {
        "gone survey": "Survey",
        "gone evidence": "Written evidence",
        "gone message": "Message",
    }
    for name, kind in kinds.items():
        reference = responses[name].reference
        assert [
            "The respondent",
            f"Response withdrawn: Response {reference} ({kind}) withdrawn by the respondent",
        ] in said


# --- the exports ---------------------------------------------------------------------------------


@pytest.mark.parametrize("read", [csv_export, xlsx_export], ids=["csv", "xlsx"])
def test_the_exports_no_longer_hold_them(admin, clock, responses, read):
    shown, text = exported(read(admin))
    assert shown == references(responses, "")
    assert WORD in text and DOMAIN in text

    withdraw_the_gone(responses, clock)

    shown, text = exported(read(admin))
    assert shown == references(responses, "kept")
    assert WORD not in text and DOMAIN not in text
    assert not references(responses, "gone") & set(text.split())


# --- the officer's emails -----------------------------------------------------------------------


def test_the_digest_lists_them_only_as_withdrawn(clock, runner, smtp_server, responses):
    assert held_alerts(responses) == references(responses, "")

    withdraw_the_gone(responses, clock)
    assert held_alerts(responses) == references(responses, "kept")
    clock.set(DIGEST_AT)
    send_outbox(runner)

    digest = to_officer(smtp_server, "new submissions")
    table = list(csv.DictReader(io.StringIO(attached_csv(digest))))
    for text in (digest.text, digest.html, attached_csv(digest)):
        assert WORD not in text and DOMAIN not in text
        for reference in references(responses, "kept"):
            assert reference in text
    rows = {row["reference"]: row for row in table}
    assert rows.keys() == references(responses, "")
    for reference in references(responses, "gone"):
        assert rows[reference]["kind"].endswith("(withdrawn)")
        assert (rows[reference]["name"], rows[reference]["email"]) == ("", "")
    for reference in references(responses, "kept"):
        assert not rows[reference]["kind"].endswith("(withdrawn)")


def test_the_closing_summary_counts_only_what_is_left(
    clock, runner, smtp_server, consultation, responses
):
    withdraw_the_gone(responses, clock)

    clock.set(consultation.closes_at + timedelta(hours=1))
    send_outbox(runner)

    summary = to_officer(smtp_server, "Closed:")
    counts = [line for line in summary.text.splitlines() if line.startswith("- ")]
    assert counts == [
        "- Survey responses: 1",
        "- Written evidence: 1",
        "- Messages: 0",
        "- Calls booked: 0",
    ]


def test_the_closing_summary_would_have_counted_them(
    clock, runner, smtp_server, consultation, responses
):
    """The check above, made without the withdrawals: it counts what it is sent."""
    clock.set(consultation.closes_at + timedelta(hours=1))
    send_outbox(runner)

    summary = to_officer(smtp_server, "Closed:")
    counts = [line for line in summary.text.splitlines() if line.startswith("- ")]
    assert counts == [
        "- Survey responses: 2",
        "- Written evidence: 2",
        "- Messages: 1",
        "- Calls booked: 1",
    ]
