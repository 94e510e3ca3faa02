"""A respondent sending written evidence over HTTP, and what is stored of it.

The respondent is a test client: it opens the form, reads its hidden fields (CSRF token,
the double-submit `token`, the signed `loaded` stamp) and sends it as multipart/form-data
built byte by byte (tests/support/sample_files.py), taking some seconds on the test's clock.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Attachment, Consultation, Response
from tests.support import sample_files as sf
from tests.support.factories import SLUG
from tests.support.outbox import outbox
from tests.support.pages import (
    error_messages,
    hidden_fields,
    page,
    stamped_form,
    summary_links,
    text_of,
    where,
)
from tests.support.sample_files import Upload

URL = f"/consultations/{SLUG}/evidence"

CONFIRMATION = f"{URL}/confirmation"

RESPONDENT = "ada@example.org"

TOPICS = ["Trends", "Failures", "Local successes"]

RESPONDENT_TYPES = [
    "Community organisation",
    "Elected councillor",
    "Council officer",
    "Think tank",
    "Academic",
    "Other",
]

EVIDENCE = (
    "Our food bank runs three contracts for the council.\n\n"
    "Payment arrives 90 days after invoicing, which means we borrow to pay staff."
)

VALID = {
    "name": "Ada Jones",
    "email": RESPONDENT,
    "respondent_type": "Community organisation",
    "organisation": "Northside Food Bank",
    "topics": ["Trends", "Local successes"],
    "evidence": EVIDENCE,
    "publish": "anonymous",
    "consent": "y",
}

CHOOSE_AGAIN = (
    "Choose your files again: for your security, browsers do not keep chosen files when"
    " a page has an error."
)

MB = 1024 * 1024


def open_form(client, url: str = URL):
    shown = client.get(url)
    assert shown.status_code == 200, (url, shown.status_code)
    return shown


def body_fields(shown, fields: dict, files: list[Upload] = ()) -> list[tuple[str, str | Upload]]:
    """The form's hidden fields with `fields` over them (None leaves a field out; a list
    repeats it), then the files, in the order a browser sends them."""
    merged = {**hidden_fields(shown), "website": "", **fields}
    entries: list[tuple[str, str | Upload]] = []
    for name, value in merged.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            entries.append((name, item))
    entries.extend(("documents", file) for file in files)
    return entries


def send_form(client, shown, fields: dict, files: list[Upload] = (), url: str = URL, **kwargs):
    """Send the form on the page `shown`, as a browser would, with `fields` and `files`."""
    body, content_type = sf.multipart(body_fields(shown, fields, files))
    return client.post(url, data=body, content_type=content_type, **kwargs)


def send(client, clock, fields: dict = VALID, files: list[Upload] = (), seconds: float = 5):
    """Open the form, take `seconds` to fill it in, and send it."""
    shown = open_form(client)
    clock.advance(seconds=seconds)
    return send_form(client, shown, fields, files)


def sent_ok(response) -> None:
    assert response.status_code == 303, (response.status_code, error_messages(response))
    assert where(response) == CONFIRMATION


def field_errors(response, field_id: str) -> list[str]:
    """The messages shown by a field, without their visually hidden "Error:"."""
    box = page(response).find(id=f"{field_id}-error")
    assert box is not None, f"no error by {field_id}"
    paragraphs = box.find_all("p") if box.name == "div" else [box]
    return [text_of(p).removeprefix("Error:").strip() for p in paragraphs]


# Choices are a group: the error summary links to the first of them.
CHOICE_FIELDS = {"respondent_type", "topics", "publish"}


def assert_refused_with(response, field_id: str, message: str) -> None:
    """A 422 whose summary and field both give `message`, under an "Error:" title."""
    assert response.status_code == 422, response.status_code
    assert page(response).title.get_text().startswith("Error: Send written evidence")
    target = f"{field_id}-1" if field_id in CHOICE_FIELDS else field_id
    assert summary_links(response).get(message) == target, error_messages(response)
    assert message in field_errors(response, field_id)


def value_of(response, name: str) -> str:
    field = stamped_form(page(response)).find(attrs={"name": name})
    assert field is not None, f"no field {name}"
    return field.get_text() if field.name == "textarea" else field.get("value", "")


def checked(response, name: str) -> list[str]:
    form = stamped_form(page(response))
    return [box["value"] for box in form.find_all("input", attrs={"name": name, "checked": True})]


def assert_kept(response, fields: dict = VALID) -> None:
    """Everything typed and chosen is back on the page."""
    for name in ("name", "email", "organisation", "evidence"):
        assert value_of(response, name) == fields[name], name
    assert checked(response, "respondent_type") == [fields["respondent_type"]]
    assert checked(response, "topics") == fields["topics"]
    assert checked(response, "publish") == [fields["publish"]]
    assert checked(response, "consent") == ["y"]


def responses() -> list[Response]:
    """Every evidence response as stored now."""
    db.session.rollback()
    return list(db.session.scalars(select(Response).order_by(Response.id)))


def the_response() -> Response:
    stored = responses()
    assert len(stored) == 1, f"expected one response, found {len(stored)}"
    return stored[0]


def attachments() -> list[Attachment]:
    db.session.rollback()
    return list(db.session.scalars(select(Attachment).order_by(Attachment.id)))


def upload_folder(app: Flask) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


def files_on_disk(app: Flask) -> list[str]:
    """Every file in UPLOAD_FOLDER (and below it), by its path relative to the folder."""
    folder = upload_folder(app)
    if not folder.exists():
        return []
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def assert_nothing_stored(app: Flask) -> None:
    assert responses() == []
    assert attachments() == []
    assert outbox() == []
    assert files_on_disk(app) == []


def with_rules(make_survey, **attachments) -> Consultation:
    return make_survey(evidence={"topics": TOPICS, "attachments": attachments})
