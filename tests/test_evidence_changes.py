"""Written evidence changed by its respondent, from the link in their receipt (issue 20).

The respondent sends evidence through the form, reads the receipt that the real SMTP
server received, opens its link, and follows the response page's link to the evidence
form filled in with what they sent. The form is sent as a browser sends it: every field
as the page holds it (tests/support/pages.sent_by), with the changes made over it and
files built byte by byte (tests/support/sample_files.py). Time moves only when a test
moves it.

What is checked: the response keeps its reference and becomes version 2, the version it
replaces is kept with its rows and documents, documents removed leave the disk only once
the change is committed and a change that fails leaves no new file behind; one change
alert and one change receipt listing what changed, and the audit log; the grace rule and
an admin's close as for new evidence; a double tap, two tabs (a change overtaken by
another comes back merged with it, so that sent again it undoes nothing), and a form sent
unchanged; the limit on documents counting those kept. Junk sent to the change form never gives a
500 and never leaves an invalid response or a stray file (hypothesis, at the end).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import partial

import pytest
from flask import Flask
from hypothesis import event, example, given
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.models import Consultation, Response
from tests.support import sample_files as sf
from tests.support.change_forms import (
    AS_SERVED,
    CHANGED,
    UNCHANGED,
    Link,
    as_shown,
    assert_each_change_kept,
    changed_in_both,
    closed_by_an_admin,
    flashes,
    hidden_as_sent,
    hidden_entries,
    link_from_receipt,
    open_change,
)
from tests.support.change_forms import overtaken as overtaken_by
from tests.support.clients import new_browser, utc
from tests.support.concurrency import at_once
from tests.support.database_trouble import Trouble
from tests.support.evidence import (
    CHOOSE_AGAIN,
    EVIDENCE,
    RESPONDENT,
    RESPONDENT_TYPES,
    TOPICS,
    VALID,
    assert_kept,
    body_fields,
    checked,
    field_errors,
    files_on_disk,
    send,
    send_form,
    sent_ok,
    the_response,
    value_of,
)
from tests.support.evidence_fuzz import FIELDS as EVIDENCE_FIELDS
from tests.support.evidence_fuzz import (
    FUZZ,
    MAX_FILES,
    MAX_LENGTH,
    MAX_MB,
    PAGE_SAFE_CHARS,
    PUBLISH,
    SECONDS,
    cleaned,
    uploads,
)
from tests.support.factories import SLUG
from tests.support.outbox import outbox
from tests.support.pages import (
    h1_text,
    hidden_fields,
    kept_on_closed_page,
    page,
    stamped_form,
    summary_links,
    text_of,
    where,
)
from tests.support.respondents import OFFICER, audited, deliver_due, link_in, token_of
from tests.support.sample_files import Upload

NEW_EVIDENCE = "Payment now arrives 30 days after invoicing.\n\nWe no longer borrow to pay staff."
CONFLICT = "Your evidence was changed on another device or in another tab"
NEW_ORGANISATION = "Southside Food Bank"


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def evidence(make_survey) -> Consultation:
    """Evidence on three themes, open for three weeks more, taking 3 documents of 10 MB."""
    return make_survey()


@pytest.fixture
def closing_soon(make_survey, clock) -> Consultation:
    """Evidence taken until an hour from now, with the default 30 minutes' grace."""
    return make_survey(closes_at=clock.now + timedelta(hours=1))


def sent_with_link(client, clock, smtp_server, files: list[Upload] = ()) -> Link:
    """Send the evidence, receive the receipt, open its link and find where to change it."""
    sent_ok(send(client, clock, VALID, list(files)))
    deliver_due(clock)
    return link_from_receipt(client, smtp_server, RESPONDENT, "/evidence/change/")


def send_change(client, clock, shown, link: Link, changes: dict, files=(), seconds: float = 5):
    """Take `seconds` over the change form on the page `shown`, then send it with `changes`."""
    clock.advance(seconds=seconds)
    return send_form(client, shown, {**as_shown(shown), **changes}, list(files), url=link.change)


def overtaken(client, clock, link: Link):
    """Tab A opens the change form; then tab B opens it and changes the organisation."""
    return overtaken_by(client, clock, link, send_change, {"organisation": NEW_ORGANISATION})


def documents_listed(shown) -> dict[str, str]:
    """The documents the change form lists, each with the value of its Remove box."""
    form = stamped_form(page(shown))
    listed = {}
    for box in form.find_all("input", attrs={"name": "remove"}):
        label = text_of(form.find("label", attrs={"for": box["id"]}))
        assert label.startswith("Remove "), label
        listed[label.removeprefix("Remove ")] = box["value"]
    return listed


def names_of(response: Response) -> list[str]:
    return [attachment.original_name for attachment in response.attachments]


def stored_names(response: Response) -> list[str]:
    return sorted(attachment.stored_name for attachment in response.attachments)


def as_it_was(app: Flask) -> tuple:
    """The stored response, its documents and files, its emails and its audit: to compare."""
    response = the_response()
    return (
        response.version,
        response.evidence_text,
        names_of(response),
        len(response.versions),
        files_on_disk(app),
        len(outbox()),
        audited("respondent_change"),
    )


# --- the change, from the receipt's link -----------------------------------------------------


def test_the_change_form_is_the_evidence_form_filled_in_with_what_was_sent(
    client, clock, evidence, smtp_server
):
    link = sent_with_link(
        client, clock, smtp_server, [sf.upload("pdf", "report.pdf"), sf.upload("txt", "notes.txt")]
    )

    shown = open_change(client, link)

    assert h1_text(shown) == "Change your written evidence"
    form = stamped_form(page(shown))
    assert form["action"] == link.change
    assert form["enctype"] == "multipart/form-data"
    assert_kept(shown)
    hidden = hidden_fields(shown)
    assert set(hidden) == {"csrf_token", "token", "loaded", "version", "originals"}
    assert hidden["version"] == "1"
    assert list(documents_listed(shown)) == ["report.pdf", "notes.txt"]
    assert page(shown).find("a", class_="back-link")["href"] == link.view
    assert text_of(form.find("button")) == "Send your changes"
    assert "The documents you keep count towards this" in text_of(page(shown))
    # Each load is a new form: its own token, so that each makes its own change.
    assert hidden_fields(open_change(client, link))["token"] != hidden["token"]


def test_a_respondent_changes_their_text_removes_one_document_and_adds_another(
    app, client, clock, evidence, smtp_server
):
    link = sent_with_link(
        client, clock, smtp_server, [sf.upload("pdf", "report.pdf"), sf.upload("txt", "notes.txt")]
    )
    first = the_response()
    reference, sent_at = first.reference, first.submitted_at
    removed_file = next(a.stored_name for a in first.attachments if a.original_name == "report.pdf")
    shown = open_change(client, link)
    clock.set(utc(2027, 2, 3, 9, 30))

    changed = send_change(
        client,
        clock,
        shown,
        link,
        {"evidence": NEW_EVIDENCE, "remove": documents_listed(shown)["report.pdf"]},
        [sf.upload("docx", "appendix.docx")],
    )

    assert changed.status_code == 303
    assert where(changed) == link.view
    assert CHANGED in flashes(client.get(link.view))
    response = the_response()
    assert response.reference == reference
    assert response.version == 2
    assert response.changed_at == clock.now
    assert response.late is False
    assert response.evidence_text == NEW_EVIDENCE
    assert names_of(response) == ["notes.txt", "appendix.docx"]
    (older,) = response.versions
    assert older.number == 1
    assert older.made_at == sent_at
    assert older.documents == ["report.pdf", "notes.txt"]
    rows = dict(older.rows)
    assert rows["Evidence"] == EVIDENCE
    assert rows["Documents"] == "report.pdf; notes.txt"
    on_disk = files_on_disk(app)
    assert on_disk == stored_names(response)
    assert removed_file not in on_disk
    [_first_alert, alert] = outbox("alert")
    assert alert.event_key == f"alert:evidence:v2:{reference}"
    assert audited("respondent_change") == [
        f"Response {reference} (Written evidence) changed by the respondent: now version 2"
    ]

    deliver_due(clock)
    (receipt,) = smtp_server.to(RESPONDENT)
    (officers,) = smtp_server.to(OFFICER)
    assert reference in str(receipt.message["Subject"])
    assert "What you changed" in receipt.text
    assert "Before: report.pdf; notes.txt" in receipt.text
    assert "Now: notes.txt; appendix.docx" in receipt.text
    assert "Payment now arrives 30 days after invoicing." in receipt.text
    assert link_in(receipt.text) == link.view  # the same link goes on working
    assert "changed by the respondent" in str(officers.message["Subject"])
    assert "Before: report.pdf; notes.txt" in officers.text
    assert "after the deadline" not in officers.text


def test_the_respondent_can_change_every_answer(client, clock, evidence, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    shown = open_change(client, link)

    sent = send_change(
        client,
        clock,
        shown,
        link,
        {
            "name": "Ada Jones-Smith",
            "email": "Ada.Jones@Example.org",
            "organisation": "",
            "respondent_type": "Academic",
            "topics": ["Failures"],
            "publish": "no",
        },
    )

    assert sent.status_code == 303
    response = the_response()
    assert (response.name, response.email, response.organisation) == (
        "Ada Jones-Smith",
        "Ada.Jones@example.org",
        "",
    )
    assert (response.respondent_type, response.topics, response.publish) == (
        "Academic",
        ["Failures"],
        "no",
    )
    # The receipt goes to the address it has now.
    [_first, receipt] = outbox("receipt")
    assert "Ada.Jones@example.org" in receipt.to_addr


def test_a_form_sent_as_it_was_changes_nothing(app, client, clock, evidence, smtp_server):
    link = sent_with_link(client, clock, smtp_server, [sf.upload("pdf")])
    before = as_it_was(app)
    shown = open_change(client, link)

    answer = send_change(client, clock, shown, link, {})

    assert answer.status_code == 303
    assert where(answer) == link.view
    assert UNCHANGED in flashes(client.get(link.view))
    assert as_it_was(app) == before
    assert the_response().changed_at is None


def test_the_same_form_sent_twice_makes_one_change(app, client, clock, evidence, smtp_server):
    link = sent_with_link(client, clock, smtp_server, [sf.upload("pdf")])
    shown = open_change(client, link)
    changes = {"evidence": NEW_EVIDENCE}

    first = send_change(client, clock, shown, link, changes, [sf.upload("odt")])
    again = send_change(client, clock, shown, link, changes, [sf.upload("odt")])

    assert [first.status_code, again.status_code] == [303, 303]
    assert where(again) == link.view
    response = the_response()
    assert response.version == 2
    assert len(response.versions) == 1
    assert names_of(response) == ["evidence.pdf", "evidence.odt"]
    assert files_on_disk(app) == stored_names(response)  # the second send's file is gone
    assert len(outbox("alert")) == 2  # the first one's, and one for the change
    assert len(audited("respondent_change")) == 1


def race(app: Flask, clock, link: Link, sends: list[tuple[dict, list[Upload]]]) -> list[int]:
    """Each send's changes and files, made in a browser of its own on a change form it
    opened, sent at the same moment as the others."""
    browsers = [new_browser(app) for _ in sends]
    bodies = []
    for browser, (changes, files) in zip(browsers, sends, strict=True):
        shown = open_change(browser, link)
        bodies.append(sf.multipart(body_fields(shown, {**as_shown(shown), **changes}, files)))
    clock.advance(seconds=20)

    def post(browser, body: tuple[bytes, str]) -> int:
        return browser.post(link.change, data=body[0], content_type=body[1]).status_code

    return at_once(
        [partial(post, browser, body) for browser, body in zip(browsers, bodies, strict=True)],
        context=app.app_context,
        timeout=30,
    )


def test_the_same_form_sent_twice_at_the_same_moment_makes_one_change(
    app, client, clock, evidence, smtp_server
):
    """A double tap that reaches two server threads at once: one change, one new file;
    the other send's file is removed."""
    link = sent_with_link(client, clock, smtp_server, [sf.upload("pdf")])
    token = hidden_fields(open_change(client, link))["token"]
    same_form = {"token": token, "evidence": NEW_EVIDENCE}

    statuses = race(app, clock, link, [(same_form, [sf.upload("txt")])] * 2)

    assert statuses == [303, 303]
    response = the_response()
    assert (response.version, len(response.versions)) == (2, 1)
    assert names_of(response) == ["evidence.pdf", "evidence.txt"]
    assert files_on_disk(app) == stored_names(response)
    assert len(outbox("alert")) == 2
    assert len(audited("respondent_change")) == 1


def test_two_tabs_sending_at_the_same_moment_make_one_change_and_one_conflict(
    app, client, clock, evidence, smtp_server
):
    link = sent_with_link(client, clock, smtp_server)
    sends = [({"evidence": f"From tab {n}."}, [sf.upload("odt")]) for n in range(2)]

    statuses = race(app, clock, link, sends)

    assert sorted(statuses) == [303, 409]
    response = the_response()
    assert (response.version, len(response.versions)) == (2, 1)
    assert response.evidence_text in {"From tab 0.", "From tab 1."}
    assert files_on_disk(app) == stored_names(response)  # the conflicting send's file went
    assert len(audited("respondent_change")) == 1


def test_a_change_from_a_second_tab_after_the_first_is_a_conflict_keeping_what_was_typed(
    app, client, clock, evidence, smtp_server
):
    link = sent_with_link(client, clock, smtp_server, [sf.upload("pdf", "report.pdf")])
    first_tab, second_tab = open_change(client, link), open_change(client, link)
    clock.set(utc(2027, 2, 1, 14, 30))
    assert (
        send_change(client, clock, first_tab, link, {"evidence": "From the first tab."}).status_code
        == 303
    )
    disk_after_first = files_on_disk(app)

    clash = send_change(
        client,
        clock,
        second_tab,
        link,
        {"evidence": "From the second tab.", "remove": documents_listed(second_tab)["report.pdf"]},
        [sf.upload("txt", "notes.txt")],
    )

    assert clash.status_code == 409
    notice = text_of(page(clash).find(class_="notice-error"))
    assert f"{CONFLICT} at 2:30pm UK time on 1 February 2027, after you opened this page" in notice
    assert value_of(clash, "evidence") == "From the second tab."
    assert changed_in_both(clash) == ["Your evidence"]
    assert hidden_fields(clash)["version"] == "2"
    assert "From the first tab." in text_of(page(clash).find("dl", class_="summary-list"))
    assert CHOOSE_AGAIN in field_errors(clash, "documents")
    assert list(documents_listed(clash)) == ["report.pdf"]
    assert documents_listed(clash)["report.pdf"] in as_shown(clash)["remove"]  # still ticked
    assert files_on_disk(app) == disk_after_first
    assert the_response().evidence_text == "From the first tab."

    # Sent again from the page the conflict gave, the change is made on top of the other.
    again = send_change(client, clock, clash, link, {}, [sf.upload("txt", "notes.txt")])

    assert again.status_code == 303
    response = the_response()
    assert response.version == 3
    assert [v.number for v in response.versions] == [1, 2]
    assert response.evidence_text == "From the second tab."
    assert names_of(response) == ["notes.txt"]
    assert files_on_disk(app) == stored_names(response)


def test_a_change_overtaken_by_another_keeps_the_other_change_when_sent_again(
    client, clock, evidence, smtp_server
):
    """Tab A changes only the text, after tab B changed the organisation: the conflict
    page has B's organisation and A's text, and sending it again keeps both."""
    link = sent_with_link(client, clock, smtp_server)
    tab_a = overtaken(client, clock, link)

    clash = send_change(client, clock, tab_a, link, {"evidence": NEW_EVIDENCE})

    assert clash.status_code == 409
    assert value_of(clash, "organisation") == NEW_ORGANISATION  # the other tab's change
    assert value_of(clash, "evidence") == NEW_EVIDENCE  # what they typed
    assert value_of(clash, "name") == VALID["name"]
    assert changed_in_both(clash) == []
    notice = text_of(page(clash).find(class_="notice-error"))
    assert "We have added the changes made there to the form below" in notice
    assert hidden_fields(clash)["version"] == "2"

    again = send_change(client, clock, clash, link, {})

    assert again.status_code == 303
    response = the_response()
    assert response.version == 3
    assert (response.organisation, response.evidence_text) == (NEW_ORGANISATION, NEW_EVIDENCE)
    (_sent, _b, a_receipt) = outbox("receipt")
    assert "Northside Food Bank" not in a_receipt.body_text  # A did not undo B's change


def test_a_field_changed_in_both_tabs_keeps_what_was_typed_and_is_named(
    client, clock, evidence, smtp_server
):
    link = sent_with_link(client, clock, smtp_server)
    tab_a = overtaken(client, clock, link)

    clash = send_change(
        client,
        clock,
        tab_a,
        link,
        {"organisation": "Eastside Food Bank", "topics": ["Failures"], "evidence": NEW_EVIDENCE},
    )

    assert clash.status_code == 409
    assert value_of(clash, "organisation") == "Eastside Food Bank"
    assert checked(clash, "topics") == ["Failures"]
    assert changed_in_both(clash) == ["Organisation (optional)"]
    assert NEW_ORGANISATION in text_of(page(clash).find("dl", class_="summary-list"))

    again = send_change(client, clock, clash, link, {})

    assert again.status_code == 303
    response = the_response()
    assert (response.version, response.organisation) == (3, "Eastside Food Bank")
    assert (response.topics, response.evidence_text) == (["Failures"], NEW_EVIDENCE)


def test_a_second_conflict_merges_with_the_first(client, clock, evidence, smtp_server):
    """The conflict page's form is loaded from the version it shows: overtaken again,
    it merges with that version, not with the one first loaded."""
    link = sent_with_link(client, clock, smtp_server)
    tab_a = overtaken(client, clock, link)
    clash = send_change(client, clock, tab_a, link, {"evidence": NEW_EVIDENCE})
    tab_c = open_change(client, link)
    assert send_change(client, clock, tab_c, link, {"name": "Ada Jones-Smith"}).status_code == 303

    second = send_change(client, clock, clash, link, {})

    assert second.status_code == 409
    assert value_of(second, "name") == "Ada Jones-Smith"
    assert value_of(second, "organisation") == NEW_ORGANISATION
    assert value_of(second, "evidence") == NEW_EVIDENCE
    assert changed_in_both(second) == []
    assert send_change(client, clock, second, link, {}).status_code == 303
    response = the_response()
    assert (response.version, response.name, response.organisation, response.evidence_text) == (
        4,
        "Ada Jones-Smith",
        NEW_ORGANISATION,
        NEW_EVIDENCE,
    )


def test_a_document_removed_elsewhere_loses_its_box_and_one_added_there_is_kept(
    app, client, clock, evidence, smtp_server
):
    link = sent_with_link(
        client, clock, smtp_server, [sf.upload("pdf", "report.pdf"), sf.upload("txt", "notes.txt")]
    )
    tab_a, tab_b = open_change(client, link), open_change(client, link)
    listed = documents_listed(tab_a)
    removed_there = {"remove": listed["report.pdf"]}
    assert (
        send_change(
            client, clock, tab_b, link, removed_there, [sf.upload("odt", "plan.odt")]
        ).status_code
        == 303
    )

    clash = send_change(
        client,
        clock,
        tab_a,
        link,
        {"remove": [listed["report.pdf"], listed["notes.txt"]], "evidence": NEW_EVIDENCE},
        [sf.upload("docx", "appendix.docx")],
    )

    assert clash.status_code == 409
    assert list(documents_listed(clash)) == ["notes.txt", "plan.odt"]
    assert as_shown(clash)["remove"] == [listed["notes.txt"]]  # still ticked; report.pdf gone
    assert CHOOSE_AGAIN in field_errors(clash, "documents")
    again = send_change(client, clock, clash, link, {}, [sf.upload("docx", "appendix.docx")])
    assert again.status_code == 303
    response = the_response()
    assert names_of(response) == ["plan.odt", "appendix.docx"]
    assert response.evidence_text == NEW_EVIDENCE
    assert files_on_disk(app) == stored_names(response)


@pytest.mark.parametrize("originals", ["junk", "", None, "loaded stamp"])
def test_a_conflict_with_altered_originals_keeps_everything_typed(
    client, clock, evidence, smtp_server, originals
):
    """Without the values the form was loaded with, signed, every field counts as the
    respondent's change: what they typed is kept, and nothing is called a merge."""
    link = sent_with_link(client, clock, smtp_server)
    tab_a = overtaken(client, clock, link)
    forged = hidden_fields(tab_a)["loaded"] if originals == "loaded stamp" else originals

    clash = send_change(client, clock, tab_a, link, {"evidence": NEW_EVIDENCE, "originals": forged})

    assert clash.status_code == 409
    assert value_of(clash, "organisation") == VALID["organisation"]  # as typed in tab A
    assert value_of(clash, "evidence") == NEW_EVIDENCE
    assert changed_in_both(clash) == []
    notice = text_of(page(clash).find(class_="notice-error"))
    assert "Check what your evidence says now" in notice
    assert NEW_ORGANISATION in text_of(page(clash).find("dl", class_="summary-list"))
    # The form now carries the version it shows, signed: sent again, it is made.
    assert send_change(client, clock, clash, link, {}).status_code == 303
    assert the_response().evidence_text == NEW_EVIDENCE


def test_a_change_that_cannot_be_committed_leaves_no_new_file_and_keeps_the_old_ones(
    app, client, clock, evidence, smtp_server, monkeypatch
):
    link = sent_with_link(
        client, clock, smtp_server, [sf.upload("pdf", "report.pdf"), sf.upload("txt", "notes.txt")]
    )
    before = as_it_was(app)
    shown = open_change(client, link)
    changes = {"evidence": NEW_EVIDENCE, "remove": documents_listed(shown)["report.pdf"]}
    files = [sf.upload("docx"), sf.upload("odt")]

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox table is locked")

    monkeypatch.setattr("app.intake.changes.notify_change", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    failed = send_change(client, clock, shown, link, changes, files)

    assert failed.status_code == 500
    assert as_it_was(app) == before
    monkeypatch.undo()
    # The same form sent again makes the change: nothing of the failed one stood in its way.
    assert send_change(client, clock, shown, link, changes, files).status_code == 303
    response = the_response()
    assert names_of(response) == ["notes.txt", "evidence.docx", "evidence.odt"]
    assert files_on_disk(app) == stored_names(response)


@pytest.fixture
def busy_app(request, app_config) -> Flask:
    """The app gives up on a held lock after a fifth of a second."""
    app_config["DATABASE_BUSY_SECONDS"] = 0.2
    return request.getfixturevalue("app")


def test_a_change_the_busy_database_cannot_store_is_kept_on_the_page_and_leaves_no_file(
    busy_app, client, clock, evidence, smtp_server, database_url
):
    link = sent_with_link(client, clock, smtp_server, [sf.upload("pdf", "report.pdf")])
    before = as_it_was(busy_app)
    shown = open_change(client, link)
    changes = {"evidence": NEW_EVIDENCE, "remove": documents_listed(shown)["report.pdf"]}

    with Trouble(database_url).locked():
        busy = send_change(client, clock, shown, link, changes, [sf.upload("docx")])

    assert busy.status_code == 503
    assert "Your answers were not sent because the service is busy" in text_of(page(busy))
    assert value_of(busy, "evidence") == NEW_EVIDENCE
    assert CHOOSE_AGAIN in field_errors(busy, "documents")
    assert as_it_was(busy_app) == before
    # Sent again from that page once the database is free, the change is made once.
    assert send_change(client, clock, busy, link, {}, [sf.upload("docx")]).status_code == 303
    response = the_response()
    assert (response.version, names_of(response)) == (2, ["evidence.docx"])
    assert files_on_disk(busy_app) == stored_names(response)


# --- documents -------------------------------------------------------------------------------


def test_a_change_of_address_is_told_to_the_address_it_was_sent_from(
    client, clock, evidence, smtp_server
):
    link = sent_with_link(client, clock, smtp_server)
    smtp_server.clear()

    send_change(client, clock, open_change(client, link), link, {"email": "someone@example.net"})
    deliver_due(clock)

    (receipt,) = smtp_server.to("someone@example.net")
    assert set(receipt.rcpt_tos) == {"someone@example.net", RESPONDENT}
    assert "Before: ada@example.org" in receipt.text
    assert link_in(receipt.text) == link.view  # so its sender can still withdraw it


def test_a_document_sent_again_corrected_under_its_name_is_a_change(
    app, client, clock, evidence, smtp_server
):
    link = sent_with_link(client, clock, smtp_server, [sf.upload("txt", "notes.txt")])
    first = the_response().attachments[0].sha256
    shown = open_change(client, link)
    corrected = Upload("notes.txt", b"Corrected: payment arrives after 30 days.\n", "text/plain")
    smtp_server.clear()

    sent = send_change(
        client, clock, shown, link, {"remove": documents_listed(shown)["notes.txt"]}, [corrected]
    )

    assert sent.status_code == 303
    assert CHANGED in flashes(client.get(link.view))
    response = the_response()
    assert response.version == 2
    assert names_of(response) == ["notes.txt"]
    assert response.attachments[0].sha256 != first
    assert files_on_disk(app) == stored_names(response)
    deliver_due(clock)
    (receipt,) = smtp_server.to(RESPONDENT)
    assert "Now: notes.txt (new copies)" in receipt.text


@pytest.mark.parametrize(
    ("sent", "removed", "added", "message"),
    [
        (2, 0, 2, "Attach up to 1 more file, or remove one of the documents you sent"),
        (
            3,
            0,
            1,
            "You can send up to 3 files, counting the documents you keep:"
            " remove some of them before you attach more",
        ),
        (0, 0, 4, "Attach up to 3 files"),
    ],
    ids=["one-free", "none-free", "none-sent"],
)
def test_new_documents_count_with_those_kept(
    app, client, clock, evidence, smtp_server, sent, removed, added, message
):
    kinds = ["pdf", "docx", "odt", "txt"]
    link = sent_with_link(client, clock, smtp_server, [sf.upload(k) for k in kinds[:sent]])
    before = as_it_was(app)
    shown = open_change(client, link)

    refused = send_change(
        client, clock, shown, link, {"evidence": NEW_EVIDENCE}, [sf.upload("txt")] * added
    )

    assert refused.status_code == 422
    assert page(refused).title.get_text().startswith("Error: Change your written evidence")
    assert summary_links(refused) == {message: "documents"}
    assert field_errors(refused, "documents") == [message, CHOOSE_AGAIN]
    assert value_of(refused, "evidence") == NEW_EVIDENCE
    assert as_it_was(app) == before


def test_removing_documents_makes_room_for_new_ones(app, client, clock, evidence, smtp_server):
    link = sent_with_link(client, clock, smtp_server, [sf.upload("pdf"), sf.upload("docx")])
    shown = open_change(client, link)
    listed = documents_listed(shown)

    sent = send_change(
        client,
        clock,
        shown,
        link,
        {"remove": [listed["evidence.pdf"]]},
        [sf.upload("odt"), sf.upload("txt")],
    )

    assert sent.status_code == 303
    response = the_response()
    assert names_of(response) == ["evidence.docx", "evidence.odt", "evidence.txt"]
    assert files_on_disk(app) == stored_names(response)


def test_removing_every_document_keeps_the_evidence(app, client, clock, evidence, smtp_server):
    link = sent_with_link(client, clock, smtp_server, [sf.upload("pdf"), sf.upload("docx")])
    shown = open_change(client, link)

    sent = send_change(
        client, clock, shown, link, {"remove": list(documents_listed(shown).values())}
    )

    assert sent.status_code == 303
    response = the_response()
    assert names_of(response) == []
    assert response.versions[0].documents == ["evidence.pdf", "evidence.docx"]
    assert files_on_disk(app) == []


def test_a_remove_box_for_a_document_not_listed_removes_nothing(
    app, client, clock, evidence, smtp_server
):
    link = sent_with_link(client, clock, smtp_server, [sf.upload("pdf")])
    other = new_browser(app)
    sent_ok(send(other, clock, {**VALID, "email": "bo@example.org"}, [sf.upload("txt")]))
    db.session.rollback()
    others = db.session.scalar(select(Response).filter_by(email="bo@example.org"))
    before = files_on_disk(app)
    shown = open_change(client, link)

    sent = send_change(
        client,
        clock,
        shown,
        link,
        {"evidence": NEW_EVIDENCE, "remove": [str(others.attachments[0].id), "x", "²"]},
    )

    assert sent.status_code == 303
    assert files_on_disk(app) == before
    db.session.rollback()
    assert len(db.session.get(Response, others.id).attachments) == 1


def test_a_refused_change_keeps_everything_typed_and_no_file(
    app, client, clock, evidence, smtp_server
):
    link = sent_with_link(client, clock, smtp_server, [sf.upload("pdf")])
    before = as_it_was(app)
    shown = open_change(client, link)
    remove = documents_listed(shown)["evidence.pdf"]

    refused = send_change(
        client,
        clock,
        shown,
        link,
        {"name": "Ada Jones-Smith", "evidence": "  ", "remove": remove},
        [sf.upload("docx")],
    )

    assert refused.status_code == 422
    assert summary_links(refused) == {"Enter your evidence": "evidence"}
    assert field_errors(refused, "documents") == [CHOOSE_AGAIN]
    assert value_of(refused, "name") == "Ada Jones-Smith"
    assert as_shown(refused)["remove"] == [remove]
    assert hidden_fields(refused)["version"] == "1"
    assert as_it_was(app) == before


# --- the deadline, its grace, and an admin's close -------------------------------------------


def test_a_change_started_before_the_deadline_is_taken_late_within_the_grace(
    client, clock, closing_soon, smtp_server
):
    link = sent_with_link(client, clock, smtp_server)
    shown = open_change(client, link)
    clock.set(closing_soon.closes_at + timedelta(minutes=29))

    sent = send_change(client, clock, shown, link, {"evidence": NEW_EVIDENCE}, seconds=0)

    assert sent.status_code == 303
    response = the_response()
    assert (response.version, response.late) == (2, True)
    deliver_due(clock)
    (officers,) = smtp_server.to(OFFICER)
    assert "They changed it after the deadline, within the grace period" in officers.text


@pytest.mark.parametrize("after", [30, 45], ids=["as-the-grace-ends", "after-the-grace"])
def test_after_the_grace_the_closed_page_keeps_what_they_wrote(
    app, client, clock, closing_soon, smtp_server, after
):
    link = sent_with_link(client, clock, smtp_server, [sf.upload("pdf")])
    before = as_it_was(app)
    shown = open_change(client, link)
    clock.set(closing_soon.closes_at + timedelta(minutes=after))

    refused = send_change(
        client, clock, shown, link, {"evidence": NEW_EVIDENCE}, [sf.upload("docx")], seconds=0
    )

    assert refused.status_code == 410
    assert page(refused).find("a", href=link.view) is not None  # back to the response
    assert h1_text(refused) == "The deadline for responses has passed"
    assert kept_on_closed_page(refused)["Your evidence"] == " ".join(NEW_EVIDENCE.split())
    assert as_it_was(app) == before


def test_after_the_deadline_the_change_form_leads_back_to_the_response(
    client, clock, closing_soon, smtp_server
):
    link = sent_with_link(client, clock, smtp_server)
    clock.set(closing_soon.closes_at)

    shown = client.get(link.change)

    assert shown.status_code == 303
    assert where(shown) == link.view
    assert page(client.get(link.view)).find("a", href=link.change) is None


@pytest.mark.parametrize("minutes", [-50, 5], ids=["before-the-deadline", "within-the-grace"])
def test_a_close_forced_by_an_admin_stops_changes_at_once(
    app, client, clock, closing_soon, smtp_server, minutes
):
    link = sent_with_link(client, clock, smtp_server)
    before = as_it_was(app)
    shown = open_change(client, link)
    clock.set(closing_soon.closes_at + timedelta(minutes=minutes))
    closed_by_an_admin()

    refused = send_change(client, clock, shown, link, {"evidence": NEW_EVIDENCE}, seconds=0)

    assert refused.status_code == 410
    assert page(refused).find("a", href=link.view) is not None  # back to the response
    assert kept_on_closed_page(refused)["Your evidence"] == " ".join(NEW_EVIDENCE.split())
    assert as_it_was(app) == before
    assert where(client.get(link.change)) == link.view


# --- links that open nothing, and the guards ---------------------------------------------


def test_a_link_that_opens_nothing_changes_nothing(app, client, clock, evidence, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    token = token_of(link.change)
    wrong = [
        link.change.replace(token, "A" * 32),  # no such link
        link.change.replace(token, "not a token"),
        link.change.replace(f"/{SLUG}/", "/another-consultation/"),
        link.change.replace("/evidence/", "/contact/"),  # another channel's form
    ]

    for url in wrong:
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert h1_text(answer) in {"This link does not work", "Page not found"}, url


def test_a_withdrawn_response_can_no_longer_be_changed(app, client, clock, evidence, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    shown = open_change(client, link)
    response = the_response()
    response.link_hash = None  # as withdrawing leaves it, until it is deleted
    db.session.commit()

    refused = send_change(client, clock, shown, link, {"evidence": NEW_EVIDENCE})

    assert refused.status_code == 404
    assert h1_text(refused) == "This link does not work"
    assert the_response().version == 1


def test_a_bot_filling_in_the_honeypot_changes_nothing(app, client, clock, evidence, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    before = as_it_was(app)
    shown = open_change(client, link)

    answer = send_change(
        client, clock, shown, link, {"evidence": NEW_EVIDENCE, "website": ["http://spam.example"]}
    )

    assert answer.status_code == 200
    assert h1_text(answer) == "Thank you"
    assert as_it_was(app) == before


def test_without_a_csrf_token_nothing_changes(app, client, clock, evidence, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    before = as_it_was(app)
    shown = open_change(client, link)

    refused = send_change(client, clock, shown, link, {"evidence": NEW_EVIDENCE, "csrf_token": []})

    assert refused.status_code == 400
    assert as_it_was(app) == before


# --- junk at the change form ----------------------------------------------------------------


@pytest.fixture
def fuzz_app(request, app_config) -> Iterator[Flask]:
    """An app without the rate limit, whose crashes are 500s the test sees, with a
    consultation taking 2 files of 1 MB and 400 characters of evidence."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    request.getfixturevalue("make_survey")(
        evidence={
            "topics": TOPICS,
            "max_length": MAX_LENGTH,
            "attachments": {"max_files": MAX_FILES, "max_mb": MAX_MB},
        }
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield app


class Sent:
    """The evidence the fuzzed changes change: sent once, with its link read from the
    receipt queued."""

    def __init__(self, app: Flask, clock) -> None:
        self.client = new_browser(app)
        sent_ok(send(self.client, clock, {**VALID, "evidence": "Evidence."}, [sf.upload("pdf")]))
        (receipt,) = outbox("receipt")
        self.url = f"/consultations/{SLUG}/evidence/change/{token_of(link_in(receipt.body_text))}"


HIDDEN = hidden_as_sent(["0", "1", "999", "²", "", "x"], odds=6)
REMOVE = st.lists(st.sampled_from(["listed", "0", "-1", "x", "²", "9" * 30]), max_size=3)
ALLOWED_STATUSES = {200, 303, 400, 409, 410, 413, 422}


def body(shown, fields, hidden, remove, files, earlier) -> list[tuple[str, str | Upload]]:
    """The change form's body: the hidden fields as served or forged (`earlier` is the
    token of the change made last), the fields, the boxes ticked for removal (a listed
    document's, or junk), the files."""
    listed = list(documents_listed(shown).values())
    entries: list[tuple[str, str | Upload]] = [*hidden_entries(shown, hidden, earlier)]
    for name, values in fields.items():
        entries.extend((name, value) for value in values)
    for value in remove:
        if value == "listed":
            entries.extend(("remove", one) for one in listed[:1])
        else:
            entries.append(("remove", value))
    entries.extend(("documents", file) for file in files)
    return entries


def assert_valid_and_whole(app: Flask, response: Response) -> None:
    """The response is one the form could have made, and every version of it is kept."""
    assert response.name.strip() and response.respondent_type in RESPONDENT_TYPES
    assert response.topics and set(response.topics) <= set(TOPICS)
    assert response.evidence_text.strip() and len(response.evidence_text) <= MAX_LENGTH
    assert response.publish in PUBLISH and response.consent
    assert len(response.attachments) <= MAX_FILES
    assert files_on_disk(app) == stored_names(response)
    assert_each_change_kept(response)


@pytest.fixture
def sent(fuzz_app, clock) -> Sent:
    return Sent(fuzz_app, clock)


@FUZZ
@given(
    fields=EVIDENCE_FIELDS,
    hidden=HIDDEN,
    remove=REMOVE,
    files=uploads(PAGE_SAFE_CHARS),
    seconds=SECONDS,
)
@example(
    fields={name: value if isinstance(value, list) else [value] for name, value in VALID.items()},
    hidden=AS_SERVED,
    remove=["listed"],
    files=[sf.upload("txt")],
    seconds=5,
)
def test_the_change_form_survives_junk(
    fuzz_app, clock, sent, fields, hidden, remove, files, seconds
):
    before = the_response()
    version, evidence_text, earlier = before.version, before.evidence_text, before.change_token
    shown = sent.client.get(sent.url)
    assert shown.status_code == 200
    clock.advance(seconds=seconds)
    data, content_type = sf.multipart(body(shown, fields, hidden, remove, files, earlier))

    answer = sent.client.post(sent.url, data=data, content_type=content_type)

    status = answer.status_code
    event(f"status {status}")
    assert status < 500, answer.get_data(as_text=True)[:2000]
    assert status in ALLOWED_STATUSES, status
    after = the_response()
    assert after.version in (version, version + 1)
    if after.version > version:
        event("changed")
        assert status == 303
        assert after.evidence_text == cleaned(fields["evidence"][0]).strip()
        assert after.name == cleaned(fields["name"][0]).strip()
    else:
        assert after.evidence_text == evidence_text
    assert_valid_and_whole(fuzz_app, after)


def test_a_quick_change_is_made_not_taken_for_a_bot(app, client, clock, evidence, smtp_server):
    link = sent_with_link(client, clock, smtp_server, [sf.upload("pdf", "report.pdf")])
    shown = open_change(client, link)

    sent = send_change(
        client, clock, shown, link, {"remove": documents_listed(shown)["report.pdf"]}, seconds=1
    )

    assert sent.status_code == 303
    assert names_of(the_response()) == []
