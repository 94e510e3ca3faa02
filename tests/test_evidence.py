"""Written evidence over HTTP, as respondents, the officer and an admin meet it.

A respondent is a test client: it opens the form, reads its hidden fields (CSRF token,
the double-submit `token`, the signed `loaded` stamp) and sends it as multipart/form-data
built byte by byte (tests/support/sample_files.py), with real small files of each allowed type or
disguised ones. A person takes some seconds to fill the form in, so the clock moves
between opening and sending; time moves only when a test moves it.

What is checked is issue 5: files judged by their content and stored byte for byte under
random names outside static/; a clear message by the field with everything typed kept;
413 only for a body far over the limits; no stray file after a failed submission and no
stored response without its files; double submits, the grace rule, the bot guards and
the rate limit as for surveys; the alert, the receipt and the admin's download.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import tracemalloc
import zipfile
from datetime import timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.mail import outbox as app_outbox
from app.models import SUBMITTED, AuditEvent, Consultation, OutboxEmail, Response
from tests.support import sample_files as sf
from tests.support.clients import UncheckedClient, new_browser
from tests.support.concurrency import at_once
from tests.support.evidence import (
    CHOICE_FIELDS,
    CHOOSE_AGAIN,
    CONFIRMATION,
    EVIDENCE,
    MB,
    RESPONDENT,
    RESPONDENT_TYPES,
    TOPICS,
    URL,
    VALID,
    assert_kept,
    assert_nothing_stored,
    assert_refused_with,
    attachments,
    body_fields,
    field_errors,
    files_on_disk,
    open_form,
    responses,
    send,
    send_form,
    sent_ok,
    the_response,
    upload_folder,
    value_of,
    with_rules,
)
from tests.support.factories import SLUG, TITLE
from tests.support.html_checks import check_page
from tests.support.many_scripts import longest_line
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
from tests.support.sample_files import Upload

OFFICER = "officer@example.org"
REFERENCE = re.compile(r"EV-[23456789ABCDEFGHJKMNPQRSTWXYZ]{6}")
ALL_TYPES = "PDF, Word (DOCX), OpenDocument (ODT) or text (TXT)"
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


# --- helpers ---------------------------------------------------------------------------------


def consultation() -> Consultation:
    db.session.rollback()
    return db.session.scalar(select(Consultation).filter_by(slug=SLUG))


def deliver(clock) -> None:
    """The outbox worker's round: send everything due to the test's SMTP server."""
    sent, failed = app_outbox.deliver_due(clock.now)
    assert failed == 0
    assert sent > 0


@pytest.fixture
def evidence(make_survey) -> Consultation:
    """The consultation asking for evidence on three themes, open for three weeks more,
    with the default attachment rules (3 files, 10 MB each, pdf, docx, odt, txt)."""
    return make_survey()


# --- the form --------------------------------------------------------------------------------


def test_the_form_asks_who_they_are_their_themes_evidence_documents_and_consent(client, evidence):
    shown = open_form(client)
    soup = page(shown)
    form = stamped_form(soup)

    assert h1_text(shown) == "Send written evidence"
    assert form["method"] == "post"
    assert form["enctype"] == "multipart/form-data"
    assert form["action"] == URL
    assert set(hidden_fields(shown)) == {"csrf_token", "token", "loaded"}
    assert len(hidden_fields(shown)["token"]) >= 16
    types = form.find_all("input", attrs={"name": "respondent_type"})
    assert [(t["type"], t["value"]) for t in types] == [("radio", v) for v in RESPONDENT_TYPES]
    topics = form.find_all("input", attrs={"name": "topics"})
    assert [(t["type"], t["value"]) for t in topics] == [("checkbox", v) for v in TOPICS]
    assert form.find("input", attrs={"name": "organisation"}) is not None
    # The evidence box shows its limit; site.js counts the characters against it.
    textarea = form.find("textarea", attrs={"name": "evidence"})
    assert textarea["data-maxlength"] == "20000"
    assert "You can enter up to 20000 characters" in text_of(soup.find(id="evidence-count"))
    documents = form.find("input", attrs={"name": "documents"})
    assert (documents["type"], documents.has_attr("multiple")) == ("file", True)
    assert documents["accept"] == ".pdf,.docx,.odt,.txt"
    assert text_of(soup.find(id="documents-hint")) == (
        "You can attach up to 3 files, each 10 MB or smaller, in these formats:"
        " PDF, DOCX, ODT, TXT."
    )
    publish = form.find_all("input", attrs={"name": "publish"})
    assert [p["value"] for p in publish] == ["named", "anonymous", "no"]
    consent = form.find("input", attrs={"name": "consent"})
    assert (consent["type"], consent["value"]) == ("checkbox", "y")
    # The honeypot is there for bots, hidden from people and from assistive technology.
    honeypot = form.find("input", attrs={"name": "website"})
    assert honeypot.find_parent(attrs={"aria-hidden": "true"}) is not None
    assert honeypot["tabindex"] == "-1"


def test_the_form_states_the_consultations_own_limits(client, make_survey):
    make_survey(
        evidence={
            "topics": TOPICS,
            "max_length": 500,
            "attachments": {"max_files": 1, "max_mb": 2, "types": ["pdf", "odt"]},
        }
    )
    soup = page(open_form(client))

    assert soup.find("textarea", attrs={"name": "evidence"})["data-maxlength"] == "500"
    assert soup.find("input", attrs={"name": "documents"})["accept"] == ".pdf,.odt"
    assert text_of(soup.find(id="documents-hint")) == (
        "You can attach up to 1 file, each 2 MB or smaller, in these formats: PDF, ODT."
    )


def test_a_consultation_taking_no_documents_shows_no_file_input(client, make_survey):
    with_rules(make_survey, max_files=0)

    soup = page(open_form(client))

    assert soup.find("input", attrs={"type": "file"}) is None


def test_documents_allowed_in_no_format_are_not_asked_for(client, make_survey):
    """Settings stored before a type had to be named: no type means no documents."""
    consultation = with_rules(make_survey, max_files=3)
    consultation.evidence_settings = {
        **consultation.evidence_settings,
        "attachments": {"max_files": 3, "types": []},
    }
    db.session.commit()

    soup = page(open_form(client))

    assert soup.find("input", attrs={"type": "file"}) is None


def test_a_consultation_not_asking_for_evidence_has_no_evidence_form(client, make_survey):
    make_survey(channels=["survey"], evidence=None)

    assert client.get(URL).status_code == 404


def test_the_confirmation_without_sending_leads_back_to_the_form(client, evidence):
    response = client.get(CONFIRMATION)

    assert response.status_code == 303
    assert where(response) == URL


# --- files of each allowed type --------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(sf.ALLOWED))
def test_each_allowed_type_is_stored_byte_for_byte_under_a_random_name(
    app, client, clock, evidence, kind
):
    file = sf.upload(kind)

    sent = send(client, clock, files=[file])

    sent_ok(sent)
    response = the_response()
    assert response.status == SUBMITTED
    [attachment] = response.attachments
    assert attachment.original_name == file.filename
    assert attachment.file_type == kind
    assert attachment.size == len(file.data)
    assert attachment.sha256 == hashlib.sha256(file.data).hexdigest()
    # Stored under a random name, not the one the respondent chose, with nothing else.
    assert re.fullmatch(r"[0-9a-f]{32}", attachment.stored_name)
    assert file.filename not in attachment.stored_name
    assert files_on_disk(app) == [attachment.stored_name]
    assert (upload_folder(app) / attachment.stored_name).read_bytes() == file.data
    confirmation = client.get(CONFIRMATION)
    assert file.filename in text_of(page(confirmation))


def test_three_documents_of_different_types_are_all_kept(app, client, clock, evidence):
    files = [sf.upload("pdf"), sf.upload("odt"), sf.upload("txt")]

    sent_ok(send(client, clock, files=files))

    stored = the_response().attachments
    assert [a.original_name for a in stored] == [f.filename for f in files]
    assert [a.file_type for a in stored] == ["pdf", "odt", "txt"]
    assert len({a.stored_name for a in stored}) == 3
    assert files_on_disk(app) == sorted(a.stored_name for a in stored)
    for attachment, file in zip(stored, files, strict=True):
        assert (upload_folder(app) / attachment.stored_name).read_bytes() == file.data


def test_an_empty_file_input_as_browsers_send_it_is_no_document(app, client, clock, evidence):
    """With no file chosen, a browser still sends the input: a part with no name and no bytes."""
    sent_ok(send(client, clock, files=[Upload("", b"")]))

    assert the_response().attachments == []
    assert files_on_disk(app) == []


def test_the_type_the_browser_claims_does_not_matter(app, client, clock, evidence):
    """A real PDF the browser calls an executable is taken: the content decides."""
    file = sf.upload("pdf", content_type="application/x-msdownload")

    sent_ok(send(client, clock, files=[file]))

    assert the_response().attachments[0].file_type == "pdf"


def test_the_same_document_sent_twice_by_different_people_is_stored_twice(
    app, client, clock, evidence
):
    file = sf.upload("pdf")
    sent_ok(send(client, clock, files=[file]))
    sent_ok(send(new_browser(app), clock, files=[file]))

    stored = attachments()
    assert len(stored) == 2
    assert stored[0].stored_name != stored[1].stored_name
    assert files_on_disk(app) == sorted(a.stored_name for a in stored)


def test_evidence_without_documents_is_accepted(app, client, clock, evidence):
    sent_ok(send(client, clock))

    response = the_response()
    assert response.attachments == []
    assert files_on_disk(app) == []
    confirmation = page(client.get(CONFIRMATION))
    assert confirmation.find("h2", string="Documents you attached") is None


def test_what_is_stored_is_what_was_sent(client, clock, evidence):
    fields = {
        **VALID,
        "name": "  Ada Jones ",
        "email": "Ada@EXAMPLE.org",
        "organisation": " Northside Food Bank  ",
        "evidence": "  " + EVIDENCE.replace("\n", "\r\n") + "\r\n",
    }

    sent_ok(send(client, clock, fields=fields))

    response = the_response()
    assert response.channel == "evidence"
    assert REFERENCE.fullmatch(response.reference)
    assert response.name == "Ada Jones"
    assert response.email == "Ada@example.org"  # the domain is case-blind, the local part not
    assert response.organisation == "Northside Food Bank"
    assert response.respondent_type == "Community organisation"
    assert response.topics == ["Trends", "Local successes"]
    assert response.evidence_text == EVIDENCE  # line breaks as one character each
    assert response.publish == "anonymous"
    assert response.consent is True
    assert response.late is False
    assert response.submitted_at == clock.now


def test_the_organisation_is_optional(client, clock, evidence):
    sent_ok(send(client, clock, fields={**VALID, "organisation": None}))

    assert the_response().organisation == ""


def test_the_confirmation_shows_the_reference_and_the_documents(client, clock, evidence):
    sent_ok(send(client, clock, files=[sf.upload("pdf"), sf.upload("docx")]))

    confirmation = client.get(CONFIRMATION)

    assert confirmation.status_code == 200
    soup = page(confirmation)
    assert h1_text(confirmation) == "Evidence sent"
    reference = text_of(soup.find(class_="reference"))
    assert reference == the_response().reference
    assert REFERENCE.fullmatch(reference)
    assert f"We have sent a receipt with a copy of your evidence to {RESPONDENT}" in text_of(soup)
    listed = soup.find("h2", string="Documents you attached").find_next("ul")
    assert [text_of(li) for li in listed.find_all("li")] == ["evidence.pdf", "evidence.docx"]


# --- files that are refused ------------------------------------------------------------------


CLAIMED = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain",
}
DISGUISED_MESSAGES = {
    "exe-as-pdf": f"report.pdf must be a {ALL_TYPES} file",
    "elf-as-txt": f"notes.txt must be a {ALL_TYPES} file",
    "zip-as-docx": f"letter.docx must be a {ALL_TYPES} file",
    "pdf-as-docx": "letter.docx is a PDF file: give it a name ending .pdf",
    "empty": "blank.pdf is empty",
}


@pytest.mark.parametrize("kind", sorted(sf.DISGUISED))
def test_a_disguised_file_is_refused_by_the_field_and_everything_typed_stays(
    app, client, clock, evidence, kind
):
    name = sf.DISGUISED[kind][0]
    file = sf.upload(kind, content_type=CLAIMED[name.rsplit(".", 1)[-1]])  # as a browser would

    refused = send(client, clock, files=[file])

    assert_refused_with(refused, "documents", DISGUISED_MESSAGES[kind])
    assert CHOOSE_AGAIN in field_errors(refused, "documents")
    assert_kept(refused)
    assert_nothing_stored(app)


def test_a_good_file_sent_with_a_bad_one_is_not_kept_either(app, client, clock, evidence):
    refused = send(client, clock, files=[sf.upload("pdf"), sf.upload("exe-as-pdf")])

    assert_refused_with(refused, "documents", DISGUISED_MESSAGES["exe-as-pdf"])
    assert_nothing_stored(app)


def test_every_bad_file_is_named_at_once(app, client, clock, evidence):
    refused = send(
        client, clock, files=[sf.upload("exe-as-pdf"), sf.upload("txt"), sf.upload("empty")]
    )

    assert refused.status_code == 422
    messages = field_errors(refused, "documents")
    assert DISGUISED_MESSAGES["exe-as-pdf"] in messages
    assert DISGUISED_MESSAGES["empty"] in messages
    assert_nothing_stored(app)


def test_a_file_too_large_is_refused_by_the_field_with_the_limit(app, client, clock, make_survey):
    with_rules(make_survey, max_files=1, max_mb=1)
    big = Upload("big-report.pdf", sf.pdf_of_size(MB + MB // 2), "application/pdf")

    refused = send(client, clock, files=[big])

    assert_refused_with(refused, "documents", "big-report.pdf must be 1 MB or smaller")
    assert_kept(refused)
    assert_nothing_stored(app)


def test_a_file_one_byte_over_the_limit_is_refused(app, client, clock, make_survey):
    with_rules(make_survey, max_files=1, max_mb=1)
    file = Upload("report.pdf", sf.pdf_of_size(MB + 1), "application/pdf")

    refused = send(client, clock, files=[file])

    assert_refused_with(refused, "documents", "report.pdf must be 1 MB or smaller")
    assert_nothing_stored(app)


def test_a_file_just_under_the_limit_is_taken(app, client, clock, make_survey):
    with_rules(make_survey, max_files=1, max_mb=1)
    file = Upload("report.pdf", sf.pdf_of_size(MB - 1), "application/pdf")

    sent_ok(send(client, clock, files=[file]))

    assert the_response().attachments[0].size == MB - 1
    assert (upload_folder(app) / the_response().attachments[0].stored_name).read_bytes() == (
        file.data
    )


def test_too_many_files_are_refused_by_the_field(app, client, clock, evidence):
    files = [sf.upload(kind) for kind in ("pdf", "docx", "odt", "txt")]

    refused = send(client, clock, files=files)

    assert_refused_with(refused, "documents", "Attach up to 3 files")
    assert_kept(refused)
    assert_nothing_stored(app)


def test_too_many_files_when_one_is_allowed(app, client, clock, make_survey):
    with_rules(make_survey, max_files=1)

    refused = send(client, clock, files=[sf.upload("pdf"), sf.upload("txt")])

    assert_refused_with(refused, "documents", "Attach up to 1 file")
    assert_nothing_stored(app)


@pytest.mark.parametrize("kind", ["docx", "odt", "txt"])
def test_a_type_the_consultation_does_not_take_is_refused(app, client, clock, make_survey, kind):
    with_rules(make_survey, types=["pdf"])

    refused = send(client, clock, files=[sf.upload(kind)])

    assert_refused_with(refused, "documents", f"evidence.{kind} must be a PDF file")
    assert_kept(refused)
    assert_nothing_stored(app)


def test_a_file_sent_where_documents_are_not_taken_is_refused(app, client, clock, make_survey):
    with_rules(make_survey, max_files=0)

    refused = send(client, clock, files=[sf.upload("pdf")])

    assert refused.status_code == 422
    assert_nothing_stored(app)


def test_a_body_far_over_the_limits_is_cut_off_with_a_page_stating_them(
    app, client, clock, make_survey
):
    with_rules(make_survey, max_files=1, max_mb=1, types=["pdf"])  # the body limit is 4 MB
    huge = Upload("huge.pdf", sf.pdf(padding=6 * MB), "application/pdf")

    refused = send(client, clock, files=[huge])

    assert refused.status_code == 413
    assert h1_text(refused) == "The files you chose are too large"
    assert "You can attach up to 1 file, each 1 MB or smaller, in these formats: PDF." in text_of(
        page(refused)
    )
    assert_nothing_stored(app)


def test_a_body_over_the_site_wide_limit_gets_the_413_page_stating_the_limits(
    app, client, clock, make_survey
):
    with_rules(make_survey, max_files=1, max_mb=1, types=["pdf"])
    huge = Upload("huge.pdf", sf.pdf(padding=app.config["MAX_CONTENT_LENGTH"] + MB))

    refused = send(client, clock, files=[huge])

    assert refused.status_code == 413
    assert h1_text(refused) == "The files you chose are too large"
    assert (
        "You can attach up to 1 file, each 1 MB or smaller, in these formats: PDF."
        " Go back and choose smaller files. What you typed was not sent." in text_of(page(refused))
    )
    assert_nothing_stored(app)


# --- the other fields ------------------------------------------------------------------------


REQUIRED = {
    "name": "Enter your full name",
    "email": "Enter your email address",
    "respondent_type": "Select which best describes you",
    "topics": "Select at least one theme",
    "evidence": "Enter your evidence",
    "publish": "Select whether we may publish your response",
    "consent": "Confirm that you agree to us keeping your response",
}


def test_an_empty_form_lists_every_required_answer(app, client, clock, evidence):
    refused = send(client, clock, fields={name: None for name in VALID})

    assert refused.status_code == 422
    links = summary_links(refused)
    assert list(links) == list(REQUIRED.values())
    for name, message in REQUIRED.items():
        assert message in field_errors(refused, name)
        target = f"{name}-1" if name in CHOICE_FIELDS else name
        assert links[message] == target
    assert CHOOSE_AGAIN not in text_of(page(refused))  # no files were chosen
    assert_nothing_stored(app)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_each_required_answer_is_asked_for_by_its_field(app, client, clock, evidence, name):
    blank = {"topics": None, "consent": None}.get(name, " ")
    fields = {**VALID, name: blank}

    refused = send(client, clock, fields=fields, files=[sf.upload("pdf")])

    assert_refused_with(refused, name, REQUIRED[name])
    assert list(summary_links(refused)) == [REQUIRED[name]]
    assert CHOOSE_AGAIN in field_errors(refused, "documents")
    others = {k: v for k, v in VALID.items() if k != name}
    for other in ("name", "email", "organisation", "evidence"):
        if other in others:
            assert value_of(refused, other) == others[other]
    assert_nothing_stored(app)


@pytest.mark.parametrize(
    "email", ["ada", "ada@", "@example.org", "ada@example", "ada example@example.org", "a@b@c.org"]
)
def test_an_email_address_in_the_wrong_format_is_refused(app, client, clock, evidence, email):
    refused = send(client, clock, fields={**VALID, "email": email})

    assert_refused_with(refused, "email", EMAIL_FORMAT)
    assert value_of(refused, "email") == email
    assert_nothing_stored(app)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("respondent_type", "Lobbyist"),
        ("respondent_type", "community organisation"),
        ("topics", ["Trends", "Made up"]),
        ("topics", ["Trends, Failures"]),
        ("publish", "everywhere"),
        ("publish", "Named"),
    ],
)
def test_a_value_the_form_never_offered_is_refused(app, client, clock, evidence, field, value):
    refused = send(client, clock, fields={**VALID, field: value})

    assert_refused_with(refused, field, "Select one of the options shown")
    assert_nothing_stored(app)


def test_a_theme_sent_twice_is_stored_once(client, clock, evidence):
    """A crafted post repeating a checkbox: the alert must not say "Trends; Trends"."""
    sent = send(client, clock, fields={**VALID, "topics": ["Trends", "Failures", "Trends"]})

    if sent.status_code == 303:
        assert the_response().topics == ["Trends", "Failures"]
    else:
        assert sent.status_code == 422


def test_a_consultations_own_respondent_types_are_the_ones_offered(app, client, clock, make_survey):
    make_survey(evidence={"topics": TOPICS, "respondent_types": ["Resident", "Business"]})

    refused = send(client, clock)  # "Community organisation" is not offered here

    assert_refused_with(refused, "respondent_type", "Select one of the options shown")
    assert_nothing_stored(app)
    sent_ok(send(client, clock, fields={**VALID, "respondent_type": "Business"}))
    assert the_response().respondent_type == "Business"


def test_a_name_over_200_characters_is_refused(app, client, clock, evidence):
    long_name = "A" * 201

    refused = send(client, clock, fields={**VALID, "name": long_name})

    assert_refused_with(refused, "name", "Name must be 200 characters or fewer")
    assert value_of(refused, "name") == long_name
    assert_nothing_stored(app)


def test_evidence_over_its_limit_is_refused_and_kept_in_full(app, client, clock, evidence):
    long_text = ("Contracts are too big for us. " * 700)[:20_001]

    refused = send(client, clock, fields={**VALID, "evidence": long_text}, files=[sf.upload("pdf")])

    assert_refused_with(refused, "evidence", "Your evidence must be 20,000 characters or fewer")
    assert value_of(refused, "evidence") == long_text
    assert_kept(refused, {**VALID, "evidence": long_text})
    assert_nothing_stored(app)


def test_evidence_at_its_limit_is_taken_counting_a_line_break_as_one_character(
    client, clock, evidence
):
    # 20,000 characters as the page counts them; 24,000 as a browser sends them (CRLF).
    text = "Four\r\n" * 4000
    assert len(text) == 24_000

    sent_ok(send(client, clock, fields={**VALID, "evidence": text}))

    assert the_response().evidence_text == ("Four\n" * 4000).strip()


def test_a_consultations_own_evidence_limit_applies(app, client, clock, make_survey):
    make_survey(evidence={"topics": TOPICS, "max_length": 100})

    refused = send(client, clock, fields={**VALID, "evidence": "y" * 101})

    assert_refused_with(refused, "evidence", "Your evidence must be 100 characters or fewer")
    assert_nothing_stored(app)
    sent_ok(send(client, clock, fields={**VALID, "evidence": "y" * 100}))


def test_a_refused_form_can_be_corrected_and_sent(app, client, clock, evidence):
    shown = open_form(client)
    clock.advance(seconds=30)
    refused = send_form(client, shown, {**VALID, "consent": None}, [sf.upload("pdf")])
    assert refused.status_code == 422

    clock.advance(seconds=10)
    sent = send_form(client, refused, VALID, [sf.upload("pdf")])

    sent_ok(sent)
    assert len(the_response().attachments) == 1
    assert len(files_on_disk(app)) == 1


def test_without_a_csrf_token_nothing_is_stored(app, client, clock, evidence):
    refused = send(
        client, clock, fields={**VALID, "csrf_token": "forged"}, files=[sf.upload("pdf")]
    )

    assert refused.status_code == 400
    assert_nothing_stored(app)


# --- double submits --------------------------------------------------------------------------


def test_sending_the_same_form_twice_makes_one_response(app, client, clock, evidence):
    shown = open_form(client)
    clock.advance(seconds=20)
    files = [sf.upload("pdf"), sf.upload("txt")]

    first = send_form(client, shown, VALID, files)
    again = send_form(client, shown, VALID, files)

    sent_ok(first)
    sent_ok(again)
    response = the_response()
    assert len(response.attachments) == 2
    assert files_on_disk(app) == sorted(a.stored_name for a in response.attachments)
    assert [e.kind for e in outbox()] == ["alert", "receipt"]
    assert text_of(page(client.get(CONFIRMATION)).find(class_="reference")) == response.reference


def test_the_same_form_sent_from_another_browser_makes_no_second_response(
    app, client, clock, evidence
):
    shown = open_form(client)
    token = hidden_fields(shown)["token"]
    clock.advance(seconds=20)
    sent_ok(send_form(client, shown, VALID, [sf.upload("pdf")]))

    other = new_browser(app)
    other_shown = open_form(other)
    clock.advance(seconds=20)
    again = send_form(
        other, other_shown, {**VALID, "token": token}, [sf.upload("odt"), sf.upload("txt")]
    )

    sent_ok(again)
    response = the_response()
    assert [a.file_type for a in response.attachments] == ["pdf"]
    assert files_on_disk(app) == [response.attachments[0].stored_name]
    assert [e.kind for e in outbox()] == ["alert", "receipt"]


def test_two_sends_of_the_same_form_at_the_same_moment_make_one_response(
    app, client, clock, evidence
):
    """A double click that reaches two server threads at once: one response, one set of
    files, one alert and one receipt; the loser's files are removed."""
    token = hidden_fields(open_form(client))["token"]
    browsers = [new_browser(app) for _ in range(2)]
    bodies = []
    for browser in browsers:
        own = open_form(browser)
        bodies.append(sf.multipart(body_fields(own, {**VALID, "token": token}, [sf.upload("pdf")])))
    clock.advance(seconds=20)

    def post(browser: FlaskClient, body: tuple) -> int:
        return browser.post(URL, data=body[0], content_type=body[1]).status_code

    results = at_once(
        [partial(post, browser, body) for browser, body in zip(browsers, bodies, strict=True)],
        context=app.app_context,
        timeout=30,
    )

    assert results == [303, 303]
    response = the_response()
    assert len(response.attachments) == 1
    assert files_on_disk(app) == [response.attachments[0].stored_name]
    assert [e.kind for e in outbox()] == ["alert", "receipt"]


def test_a_malformed_token_gets_a_fresh_one(client, clock, evidence):
    sent_ok(send(client, clock, fields={**VALID, "token": "short"}))

    assert the_response().token != "short"


def test_a_token_used_in_another_consultation_never_breaks_the_form(
    server_errors, client, clock, make_survey
):
    make_survey()
    other_url = "/consultations/other-one/evidence"
    make_survey(slug="other-one", title="Another consultation")
    shown = open_form(client)
    clock.advance(seconds=5)
    sent_ok(send_form(client, shown, VALID))
    token = the_response().token

    other = open_form(client, other_url)
    clock.advance(seconds=5)
    answer = send_form(client, other, {**VALID, "token": token}, [sf.upload("pdf")], url=other_url)

    assert answer.status_code < 500
    stored = attachments()
    assert files_on_disk(server_errors) == sorted(a.stored_name for a in stored)


# --- the deadline and its grace --------------------------------------------------------------


@pytest.fixture
def closing_soon(make_survey, clock) -> Consultation:
    """Evidence taken until an hour from now, with the default 30 minutes' grace."""
    return make_survey(closes_at=clock.now + timedelta(hours=1))


def test_a_form_loaded_before_the_deadline_is_taken_late_within_the_grace(
    app, client, clock, closing_soon
):
    shown = open_form(client)
    clock.set(closing_soon.closes_at + timedelta(minutes=29))

    sent = send_form(client, shown, VALID, [sf.upload("pdf")])

    sent_ok(sent)
    response = the_response()
    assert response.late is True
    assert len(response.attachments) == 1
    confirmation = text_of(page(client.get(CONFIRMATION)))
    assert "Your evidence arrived after the deadline" in confirmation
    [alert] = outbox("alert")
    assert "This arrived after the deadline, within the grace period" in alert.body_text


def test_a_form_sent_before_the_deadline_is_not_late(client, clock, closing_soon):
    shown = open_form(client)
    clock.set(closing_soon.closes_at - timedelta(seconds=1))

    sent_ok(send_form(client, shown, VALID))

    assert the_response().late is False
    [alert] = outbox("alert")
    assert "after the deadline" not in alert.body_text


@pytest.mark.parametrize("after", [30, 45], ids=["as-the-grace-ends", "after-the-grace"])
def test_after_the_grace_the_closed_page_shows_what_they_wrote_and_keeps_no_file(
    app, client, clock, closing_soon, after
):
    shown = open_form(client)
    clock.set(closing_soon.closes_at + timedelta(minutes=after))

    refused = send_form(client, shown, VALID, [sf.upload("pdf"), sf.upload("docx")])

    assert refused.status_code == 410
    assert h1_text(refused) == "The deadline for responses has passed"
    assert "What you wrote was not sent" in text_of(page(refused))
    kept = kept_on_closed_page(refused)
    assert kept["Full name"] == "Ada Jones"
    assert kept["Themes"] == "Trends; Local successes"
    assert kept["Your evidence"] == " ".join(EVIDENCE.split())
    assert page(refused).find("form", attrs={"enctype": "multipart/form-data"}) is None
    assert_nothing_stored(app)


def test_a_form_opened_after_the_deadline_is_told_it_has_closed(client, clock, closing_soon):
    clock.set(closing_soon.closes_at + timedelta(minutes=1))  # within the grace, but new

    shown = client.get(URL)

    assert shown.status_code == 410
    assert h1_text(shown) == "The deadline for responses has passed"
    assert page(shown).find("input", attrs={"name": "documents"}) is None


def test_a_post_without_a_stamp_after_the_deadline_is_refused(app, client, clock, closing_soon):
    shown = open_form(client)
    clock.set(closing_soon.closes_at + timedelta(minutes=1))

    refused = send_form(client, shown, {**VALID, "loaded": None}, [sf.upload("pdf")])

    assert refused.status_code == 410
    assert_nothing_stored(app)


@pytest.mark.parametrize("minutes", [-50, 5], ids=["before-the-deadline", "within-the-grace"])
def test_a_close_forced_by_an_admin_refuses_at_once(app, client, clock, closing_soon, minutes):
    shown = open_form(client)
    clock.set(closing_soon.closes_at + timedelta(minutes=minutes))
    closed = consultation()
    closed.override = "closed"
    db.session.commit()

    refused = send_form(client, shown, VALID, [sf.upload("pdf")])

    assert refused.status_code == 410
    expected = (
        "This consultation is closed" if minutes < 0 else "The deadline for responses has passed"
    )
    assert h1_text(refused) == expected
    assert kept_on_closed_page(refused)["Full name"] == "Ada Jones"
    assert_nothing_stored(app)


# --- guards against bots ---------------------------------------------------------------------


@pytest.fixture
def bot_log(caplog):
    """The warnings the bot guards log, as a function returning their messages.

    The migrations run in this process (the session's template database) and must leave
    the app's loggers working, so nothing here switches the logger back on.
    """
    caplog.set_level(logging.WARNING, logger="app.intake.submissions")

    def messages() -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if record.levelno == logging.WARNING and "looks automated" in record.getMessage()
        ]

    return messages


@pytest.mark.parametrize(
    ("tamper", "seconds", "reason"),
    [
        ({"website": "http://cheap-pills.example"}, 5, "honeypot filled in"),
        ({"loaded": None}, 5, "form stamp missing or altered"),
        (
            {"loaded": "MjAyNy0wMi0wMVQxMjowMDowMCswMDowMA.forged"},
            5,
            "form stamp missing or altered",
        ),
        ({}, 1, "sent too soon after the form was loaded"),
    ],
    ids=["honeypot", "stamp-missing", "stamp-altered", "too-fast"],
)
def test_a_bot_gets_a_neutral_answer_and_nothing_is_stored(
    app, client, clock, evidence, bot_log, tamper, seconds, reason
):
    answer = send(
        client, clock, fields={**VALID, **tamper}, files=[sf.upload("pdf")], seconds=seconds
    )

    assert answer.status_code == 200
    assert h1_text(answer) == "Thank you"
    assert "We have received what you sent." in text_of(page(answer))
    assert page(answer).find(class_="error-summary") is None
    assert REFERENCE.search(answer.get_data(as_text=True)) is None
    assert_nothing_stored(app)
    logged = bot_log()
    assert len(logged) == 1
    assert reason in logged[0]
    assert URL in logged[0]


def test_a_stamp_from_another_site_key_is_refused(app, client, clock, evidence, bot_log):
    from itsdangerous import URLSafeSerializer

    forged = URLSafeSerializer("another-key", salt="form-loaded-at").dumps(
        (clock.now - timedelta(minutes=5)).isoformat()
    )

    answer = send(client, clock, fields={**VALID, "loaded": forged})

    assert h1_text(answer) == "Thank you"
    assert_nothing_stored(app)
    assert "form stamp missing or altered" in bot_log()[0]


def test_a_person_taking_exactly_the_minimum_time_gets_through(client, clock, evidence):
    sent_ok(send(client, clock, seconds=3))


@pytest.mark.parametrize("data", [b"", sf.pdf()], ids=["refused", "accepted"])
def test_a_control_character_in_a_file_name_never_breaks_a_page(app, clock, evidence, data):
    client = new_browser(app, UncheckedClient)

    answer = send(client, clock, files=[Upload("a\x01b.pdf", data, "application/pdf")])
    if answer.status_code == 303:
        answer = client.get(CONFIRMATION)

    check_page(answer.get_data(as_text=True))


# --- the rate limit --------------------------------------------------------------------------


def test_sending_is_rate_limited_per_address(request, app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_SUBMIT"] = "2 per minute"
    app = request.getfixturevalue("app")
    clock = request.getfixturevalue("clock")
    request.getfixturevalue("evidence")
    browsers = [new_browser(app) for _ in range(3)]
    shown = [open_form(browser) for browser in browsers]
    clock.advance(seconds=5)

    answers = [
        send_form(browser, form, VALID, [sf.upload("pdf")])
        for browser, form in zip(browsers, shown, strict=True)
    ]

    assert [a.status_code for a in answers] == [303, 303, 429]
    assert h1_text(answers[2]) == "Too many attempts"
    assert "Retry-After" in answers[2].headers
    assert len(responses()) == 2
    assert len(files_on_disk(app)) == 2
    assert len(outbox("alert")) == 2
    assert browsers[2].get(URL).status_code == 200  # only sending is limited


# --- the officer's alert and the respondent's receipt ----------------------------------------


def test_the_alert_and_the_receipt_arrive_with_the_themes_and_the_documents(
    app, client, clock, evidence, smtp_server
):
    files = [sf.upload("pdf", filename="Annual report 2026.pdf"), sf.upload("txt")]
    sent_ok(send(client, clock, files=files))
    reference = the_response().reference

    deliver(clock)

    [alert] = smtp_server.to(OFFICER)
    assert alert.message["Subject"] and reference in alert.message["Subject"]
    assert RESPONDENT in alert.message["Reply-To"]
    text = alert.text.replace("\r\n", "\n")
    assert f'Written evidence {reference} for "{TITLE}"' in text
    assert "From: Ada Jones" in text
    assert "Organisation: Northside Food Bank" in text
    assert "Responding as: Community organisation" in text
    assert "Themes\nTrends; Local successes" in text
    assert "Payment arrives 90 days after invoicing" in text
    assert "Attachments: Annual report 2026.pdf, evidence.txt" in text
    response_id = the_response().id
    assert f"/admin/responses/{response_id}" in text
    assert "after the deadline" not in text

    [receipt] = smtp_server.to(RESPONDENT)
    assert reference in receipt.message["Subject"] or reference in receipt.text
    text = receipt.text.replace("\r\n", "\n")
    assert text.startswith("Dear Ada Jones,")
    assert f"Your reference number is {reference}." in text
    assert "Themes\nTrends; Local successes" in text
    assert "Payment arrives 90 days after invoicing" in text
    assert "Attachments: Annual report 2026.pdf, evidence.txt" in text
    # The documents are named, not sent back by email.
    for message in (alert, receipt):
        assert [part.get_filename() for part in message.message.iter_attachments()] == []


def test_the_emails_name_a_document_by_its_safe_name(app, client, clock, evidence, smtp_server):
    file = Upload('..\\..\\secret "plans"<1>.pdf', sf.pdf(), "application/pdf")
    sent_ok(send(client, clock, files=[file]))

    deliver(clock)

    for message in smtp_server.received:
        assert "Attachments: secret plans1.pdf" in message.text


def test_without_documents_the_emails_list_none(client, clock, evidence, smtp_server):
    sent_ok(send(client, clock))

    deliver(clock)

    assert len(smtp_server.received) == 2
    for message in smtp_server.received:
        assert "Attachments:" not in message.text


# Four long sentences, about a thousand characters, written as one paragraph: what made a
# strict mail server refuse both emails when bodies went out as 8bit with unwrapped lines.
ONE_PARAGRAPH = " ".join(
    [
        "Our food bank has delivered three council contracts since 2019, and in each of them the"
        " payment terms, the monitoring forms and the rules on subcontracting were written for"
        " organisations many times our size, so that every quarter we spend more on reporting"
        " than on the families the contract is meant to serve.",
        "When the largest contract was retendered last year the lots were merged into a single"
        " borough-wide lot, which no community organisation could bid for alone, and the winning"
        " provider then asked us to deliver the same work as a subcontractor for less money.",
        "We would ask the review to look at how lots are drawn, how social value is scored and"
        " whether payment could follow within thirty days of an invoice rather than ninety, as"
        " that delay alone costs us about four thousand pounds a year in overdraft charges.",
        "We are glad to share our monitoring returns and the tender documents with the team, and"
        " two of our trustees, who sat on the council's commissioning panel, would talk to you.",
    ]
)
# The same idea in four scripts, with emoji and a letter outside the Basic Multilingual Plane.
MANY_SCRIPTS = (
    "Cymraeg: Mae’r gwasanaethau lleol yn bwysig i’n cymuned ni. "
    "العربية: الخدمات المحلية مهمة لمجتمعنا. "
    "中文：本地服务对我们的社区很重要。 "
    "Русский: местные услуги важны. 🥫🏘️ 𠀀"
)


@pytest.mark.parametrize(
    "evidence_text",
    [
        pytest.param(ONE_PARAGRAPH, id="a thousand characters in one paragraph"),
        pytest.param((ONE_PARAGRAPH + " ") * 20, id="twenty thousand characters in one paragraph"),
        pytest.param((MANY_SCRIPTS + " ") * 40, id="four scripts and emoji in one paragraph"),
    ],
)
def test_a_long_paragraph_in_any_script_reaches_a_strict_mail_server_intact(
    app, client, clock, evidence, smtp_server, evidence_text
):
    evidence_text = evidence_text.strip()
    name = "Siân Ó Briain مريم"
    sent_ok(send(client, clock, fields={**VALID, "name": name, "evidence": evidence_text}))

    deliver(clock)

    # The suite's server refuses a line over 998 octets (RFC 5321 4.5.3.1.6), as strict
    # servers do, so both emails arriving is the first proof.
    [alert] = smtp_server.to(OFFICER)
    [receipt] = smtp_server.to(RESPONDENT)
    for message in (alert, receipt):
        assert longest_line(message.raw) <= 998
        assert evidence_text in message.text.replace("\r\n", "\n")
        html_text = " ".join(BeautifulSoup(message.html, "html.parser").get_text().split())
        assert " ".join(evidence_text.split()) in html_text
        assert name in message.text
    assert not db.session.scalars(select(OutboxEmail).where(OutboxEmail.status != "sent")).all()


# --- the admin's view and download -----------------------------------------------------------


def fetch_attachment(client, attachment_id: int):
    """GET an attachment, read it whole and close the file the app opened for it."""
    answer = client.get(f"/admin/attachments/{attachment_id}")
    answer.get_data()
    answer.close()
    return answer


def sent_with(client, clock, *files: Upload) -> Response:
    sent_ok(send(client, clock, files=list(files)))
    return the_response()


def test_the_download_is_for_signed_in_admins_only(app, client, clock, evidence, admin_user):
    response = sent_with(client, clock, sf.upload("pdf"))
    attachment_id = response.attachments[0].id

    anonymous = fetch_attachment(client, attachment_id)

    assert anonymous.status_code == 302
    assert urlsplit(anonymous.headers["Location"]).path == "/admin/login"
    assert sf.pdf() not in anonymous.get_data()


def test_an_admin_downloads_the_same_bytes_as_an_attachment(app, client, clock, evidence, auth):
    file = sf.upload("docx", filename="Case study.docx")
    response = sent_with(client, clock, file)
    attachment = response.attachments[0]
    auth.login()

    download = fetch_attachment(client, attachment.id)

    assert download.status_code == 200
    assert download.get_data() == file.data
    assert download.mimetype == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="Case study.docx"' in disposition


def test_a_downloaded_document_is_never_kept_in_a_cache(app, client, clock, evidence, auth):
    response = sent_with(client, clock, sf.upload("pdf"))
    auth.login()

    download = fetch_attachment(client, response.attachments[0].id)

    assert download.status_code == 200
    assert "no-store" in download.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("kind", "media_type"),
    [
        ("pdf", "application/pdf"),
        ("odt", "application/vnd.oasis.opendocument.text"),
        ("txt", "text/plain; charset=utf-8"),
    ],
)
def test_each_type_is_downloaded_with_its_media_type(
    app, client, clock, evidence, auth, kind, media_type
):
    file = sf.upload(kind)
    attachment = sent_with(client, clock, file).attachments[0]
    auth.login()

    download = fetch_attachment(client, attachment.id)

    assert download.headers["Content-Type"] == media_type
    assert download.get_data() == file.data


@pytest.mark.parametrize(
    ("original", "ascii_name", "utf8_name"),
    [
        ('../../etc/pass"wd<x>.pdf', "passwdx.pdf", None),
        ("Évaluation.pdf", "Evaluation.pdf", "%C3%89valuation.pdf"),
        ("C:\\Users\\ada\\report;rm -rf.pdf", "reportrm -rf.pdf", None),
        ("notes.PDF", "notes.pdf", None),
        (".pdf", "document.pdf", None),
    ],
    ids=["path-and-quotes", "non-ascii", "windows-path", "upper-case", "no-name"],
)
def test_the_downloaded_name_is_made_safe(
    app, client, clock, evidence, auth, original, ascii_name, utf8_name
):
    file = Upload(original, sf.pdf(), "application/pdf")
    attachment = sent_with(client, clock, file).attachments[0]
    assert attachment.original_name == original  # kept as given, made safe when offered
    auth.login()

    download = fetch_attachment(client, attachment.id)

    assert download.status_code == 200
    assert download.get_data() == file.data
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.isascii()
    for bad in ("/", "\\", "..", "<", ">", "\r", "\n"):
        assert bad not in disposition
    assert disposition.count('"') in (0, 2)  # only the quotes around the name, if any
    assert f'filename="{ascii_name}"' in disposition or f"filename={ascii_name}" in disposition
    if utf8_name:
        assert f"filename*=UTF-8''{utf8_name}" in disposition


def test_a_download_is_written_in_the_audit_log(app, client, clock, evidence, auth):
    response = sent_with(client, clock, sf.upload("pdf", filename="Findings.pdf"))
    auth.login()

    fetch_attachment(client, response.attachments[0].id)

    db.session.rollback()
    [event] = db.session.scalars(select(AuditEvent).filter_by(action="download")).all()
    assert event.actor == "admin@example.org"
    assert event.consultation_id == response.consultation_id
    assert "Findings" not in event.detail  # a file name can name the respondent
    assert event.detail.startswith("Downloaded a document (PDF, ")
    assert response.reference in event.detail
    log = text_of(page(client.get("/admin/audit")))
    assert response.reference in log


def test_an_unknown_or_missing_attachment_is_not_found(app, client, clock, evidence, auth):
    response = sent_with(client, clock, sf.upload("pdf"))
    auth.login()
    attachment = response.attachments[0]

    assert fetch_attachment(client, attachment.id + 1).status_code == 404
    (upload_folder(app) / attachment.stored_name).unlink()
    assert fetch_attachment(client, attachment.id).status_code == 404


def test_the_admin_response_page_shows_the_evidence_and_links_each_document(
    app, client, clock, evidence, auth
):
    response = sent_with(client, clock, sf.upload("pdf"), sf.upload("txt", filename="a/b.txt"))
    auth.login()

    shown = client.get(f"/admin/responses/{response.id}")

    assert shown.status_code == 200
    soup = page(shown)
    assert h1_text(shown) == f"Response {response.reference}"
    text = text_of(soup.find("main"))
    assert "Northside Food Bank" in text
    assert "Trends; Local successes" in text
    assert "Payment arrives 90 days after invoicing" in text
    links = soup.find("main").select('a[href^="/admin/attachments/"]')
    assert [(a["href"], text_of(a)) for a in links] == [
        (f"/admin/attachments/{a.id}", name)
        for a, name in zip(response.attachments, ["evidence.pdf", "b.txt"], strict=True)
    ]


def test_the_admin_response_page_title_is_only_the_reference(app, client, clock, evidence, auth):
    response = sent_with(client, clock, sf.upload("pdf"))
    auth.login()

    shown = client.get(f"/admin/responses/{response.id}")

    assert page(shown).title.get_text() == f"Response {response.reference} – Have your say"


# --- never public ----------------------------------------------------------------------------


def test_stored_files_are_never_reachable_without_signing_in(app, client, clock, evidence):
    response = sent_with(client, clock, sf.upload("pdf"))
    stored = response.attachments[0].stored_name
    folder = upload_folder(app)

    for path in (
        f"/static/{stored}",
        f"/static/uploads/{stored}",
        f"/static/../{folder.name}/{stored}",
        f"/static/%2e%2e/{folder.name}/{stored}",
        f"/uploads/{stored}",
        f"/{stored}",
    ):
        answer = client.get(path)
        assert answer.status_code in (400, 404), (path, answer.status_code)
        assert sf.pdf() not in answer.get_data(), path
    assert not (Path(app.static_folder) / stored).exists()


def test_uploads_are_kept_in_the_instance_folder_outside_static(monkeypatch):
    from app import config

    monkeypatch.delenv("UPLOAD_FOLDER", raising=False)
    folder = Path(config.from_environment()["UPLOAD_FOLDER"]).resolve()

    assert folder.is_relative_to(config.INSTANCE_PATH.resolve())
    assert not folder.is_relative_to((config.PROJECT_ROOT / "static").resolve())


# --- a failed submission leaves nothing behind -----------------------------------------------


@pytest.fixture
def server_errors(app: Flask) -> Flask:
    """Exceptions become the 500 page, as in production, instead of reaching the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_a_failed_commit_leaves_no_file_and_no_response(
    server_errors, client, clock, evidence, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("the outbox table is locked")

    monkeypatch.setattr("app.intake.channel.notify_submission", broken)

    failed = send(client, clock, files=[sf.upload("pdf"), sf.upload("odt")])

    assert failed.status_code == 500
    assert "What you sent was not saved" in text_of(page(failed))
    assert_nothing_stored(server_errors)
    monkeypatch.undo()
    sent_ok(send(client, clock, files=[sf.upload("pdf")]))  # and the next one goes through
    assert len(files_on_disk(server_errors)) == 1


@pytest.mark.parametrize("failing_write", [1, 2], ids=["first-file", "second-file"])
def test_a_disk_failure_while_storing_leaves_no_file(
    server_errors, client, clock, evidence, monkeypatch, failing_write
):
    import os

    real_fsync, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == failing_write:
            raise OSError(28, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr("app.evidence.files.os.fsync", fsync)

    failed = send(client, clock, files=[sf.upload("pdf"), sf.upload("txt")])

    assert failed.status_code == 500
    assert_nothing_stored(server_errors)


# --- found in review ---------------------------------------------------------------------


def test_a_form_corrected_after_an_error_keeps_its_first_load_time(
    app, client, clock, closing_soon
):
    """Fixing a mistake quickly is not taken for a bot, and a form loaded before the
    deadline and corrected in the grace period is still taken."""
    shown = open_form(client)
    clock.set(closing_soon.closes_at + timedelta(minutes=10))
    refused = send_form(client, shown, {**VALID, "consent": None})
    assert refused.status_code == 422

    clock.advance(seconds=1)  # ticks the box and sends again at once
    sent_ok(send_form(client, refused, VALID))

    assert the_response().late is True


def test_evidence_sent_again_after_the_close_shows_its_confirmation(client, clock, evidence):
    shown = open_form(client)
    clock.advance(seconds=5)
    sent_ok(send_form(client, shown, VALID))
    evidence.override = "closed"
    db.session.commit()

    again = send_form(client, shown, VALID)

    sent_ok(again)
    assert len(responses()) == 1


def test_a_zip_that_would_unpack_to_gigabytes_is_refused_without_unpacking(
    app, client, clock, evidence
):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # Far larger unpacked than any upload; only the compressed bytes are sent.
        archive.writestr("mimetype", b"\0" * (512 * MB))
    bomb = sf.Upload("bomb.odt", buffer.getvalue())
    assert len(bomb.data) < MB

    tracemalloc.start()
    try:
        refused = send(client, clock, VALID, [bomb])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 64 * MB, f"checking the upload took {peak // MB} MB"
    assert refused.status_code == 422
    assert "bomb.odt must be a" in " ".join(field_errors(refused, "documents"))
    assert_nothing_stored(app)


def test_a_document_named_without_an_extension_is_taken(app, client, clock, evidence):
    sent_ok(send(client, clock, VALID, [sf.Upload("report", sf.pdf())]))

    [attachment] = attachments()
    assert attachment.file_type == "pdf"
