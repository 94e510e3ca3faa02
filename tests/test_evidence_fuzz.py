"""Junk thrown at the written evidence form, through the real test client, with hypothesis.

Every field may be missing, repeated, empty, enormous, full of control characters or
values the page never offered; the hidden fields may be forged; the files are random
bytes, real documents or disguised ones under random names. Whatever is sent:

- never a 5xx, and the status is one the form may give (303, 422, 200, 400, 410, 413);
- after each example every stored evidence response is valid (a respondent type from the
  list, a non-empty set of offered themes, text within the limit, consent given, a known
  publish choice, each attachment's file on disk with its size and sha256), has its
  alert and receipt queued, and UPLOAD_FOLDER holds exactly the files of stored
  attachments: nothing stray, nothing missing;
- only a 303 stores anything, and then what is stored is what was sent.

File names are drawn from characters a page may carry: names with control characters
break the pages that echo them (a bug kept in tests/test_evidence.py), and the property
for them is fuzzed through a client that does not check pages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.mail.outbox import deliver_due as outbox_deliver
from app.models import SUBMITTED, Attachment, OutboxEmail, Response
from tests.support import sample_files as sf
from tests.support.clients import UncheckedClient, new_browser
from tests.support.evidence import (
    RESPONDENT_TYPES,
    TOPICS,
    URL,
    VALID,
    body_fields,
    files_on_disk,
    upload_folder,
)
from tests.support.evidence_fuzz import (
    ANY_TEXT,
    FIELDS,
    FUZZ,
    MAX_FILES,
    MAX_LENGTH,
    MAX_MB,
    MB,
    PAGE_SAFE_CHARS,
    PUBLISH,
    SECONDS,
    cleaned,
    mostly,
    uploads,
)
from tests.support.many_scripts import PARAGRAPH, assert_arrived_intact, long_text, names
from tests.support.pages import hidden_fields
from tests.support.sample_files import Upload

ALLOWED_STATUSES = {303, 422, 200, 400, 410, 413}

HIDDEN = st.fixed_dictionaries(
    {
        "token": mostly(st.just("served"), st.sampled_from(["earlier", "missing", "junk"])),
        "loaded": mostly(st.just("served"), st.sampled_from(["missing", "junk"]), odds=12),
        "website": mostly(st.just(""), st.sampled_from(["http://spam.example", " x"]), odds=12),
        "csrf": mostly(st.just("served"), st.just("junk"), odds=20),
    }
)
EXTRA = st.dictionaries(
    st.text(PAGE_SAFE_CHARS, min_size=1, max_size=10).filter(
        lambda name: name not in {*VALID, "token", "loaded", "website", "csrf_token", "documents"}
    ),
    ANY_TEXT,
    max_size=2,
)


# --- the properties ------------------------------------------------------------------------------


@dataclass
class Sent:
    """What one example sent."""

    fields: dict[str, list[str]]
    hidden: dict[str, str]
    extra: dict[str, str]
    files: list[Upload]
    seconds: float


@pytest.fixture
def fuzz_app(request, app_config) -> Iterator[Flask]:
    """An app without the rate limit, with a consultation taking 2 files of 1 MB and
    400 characters of evidence (small limits, so junk crosses them often)."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    make_survey = request.getfixturevalue("make_survey")
    make_survey(
        evidence={
            "topics": TOPICS,
            "max_length": MAX_LENGTH,
            "attachments": {"max_files": MAX_FILES, "max_mb": MAX_MB},
        }
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 the test sees
    yield app


class State:
    """What persists between examples: tokens already used."""

    def __init__(self) -> None:
        self.used_tokens: list[str] = []


@pytest.fixture
def state() -> State:
    return State()


def stored_responses() -> list[Response]:
    db.session.rollback()
    return list(db.session.scalars(select(Response).order_by(Response.id)))


def body(shown, sent: Sent, state: State) -> list[tuple[str, str | Upload]]:
    served = hidden_fields(shown)
    entries: list[tuple[str, str | Upload]] = []
    if sent.hidden["csrf"] == "served":
        entries.append(("csrf_token", served["csrf_token"]))
    else:
        entries.append(("csrf_token", "junk" + served["csrf_token"][4:]))
    token = {
        "served": served["token"],
        "earlier": state.used_tokens[-1] if state.used_tokens else served["token"],
        "junk": "not a token!",
    }.get(sent.hidden["token"])
    if token is not None:
        entries.append(("token", token))
    loaded = {"served": served["loaded"], "junk": served["loaded"][:-3] + "abc"}.get(
        sent.hidden["loaded"]
    )
    if loaded is not None:
        entries.append(("loaded", loaded))
    entries.append(("website", sent.hidden["website"]))
    for name, values in sent.fields.items():
        entries.extend((name, value) for value in values)
    entries.extend(sent.extra.items())
    entries.extend(("documents", file) for file in sent.files)
    return entries


def check(app: Flask, client: FlaskClient, clock, state: State, sent: Sent) -> None:
    before = stored_responses()
    shown = client.get(URL)
    assert shown.status_code == 200
    clock.advance(seconds=sent.seconds)
    data, content_type = sf.multipart(body(shown, sent, state))

    answer = client.post(URL, data=data, content_type=content_type)

    status = answer.status_code
    event(f"status {status}")
    assert status < 500, answer.get_data(as_text=True)[:2000]
    assert status in ALLOWED_STATUSES, status
    after = stored_responses()
    new = [r for r in after if r.id not in {b.id for b in before}]
    if status == 303:
        assert len(new) <= 1
        if new:
            assert_is_what_was_sent(new[0], sent)
            state.used_tokens.append(new[0].token)
    else:
        assert new == [], f"a {status} stored a response"
    assert_everything_stored_is_valid(app, after)


def assert_is_what_was_sent(response: Response, sent: Sent) -> None:
    """The stored values are readings of what was sent (the first of repeated values)."""
    fields = sent.fields
    assert response.name == cleaned(fields["name"][0]).strip()
    assert response.respondent_type == cleaned(fields["respondent_type"][0])
    assert response.publish == cleaned(fields["publish"][0])
    assert set(response.topics) == {cleaned(t) for t in fields["topics"]}
    assert response.evidence_text == cleaned(fields["evidence"][0]).strip()
    sent_files = [f for f in sent.files if f.filename]
    assert [a.sha256 for a in response.attachments] == [
        hashlib.sha256(f.data).hexdigest() for f in sent_files
    ]


def assert_everything_stored_is_valid(app: Flask, stored: list[Response]) -> None:
    on_disk = files_on_disk(app)
    expected_files = []
    for response in stored:
        assert response.status == SUBMITTED
        assert response.channel == "evidence"
        assert response.respondent_type in RESPONDENT_TYPES
        assert response.topics and set(response.topics) <= set(TOPICS)
        assert len(set(response.topics)) == len(response.topics), "a theme stored twice"
        assert response.evidence_text.strip()
        assert len(response.evidence_text) <= MAX_LENGTH
        assert response.name.strip() and len(response.name) <= 200
        assert "@" in response.email and len(response.email) <= 254
        assert len(response.organisation) <= 200
        assert response.consent is True
        assert response.publish in PUBLISH
        assert len(response.attachments) <= MAX_FILES
        for attachment in response.attachments:
            path = upload_folder(app) / attachment.stored_name
            assert path.is_file(), f"a stored response lacks its file {attachment.stored_name}"
            data = path.read_bytes()
            assert len(data) == attachment.size <= MAX_MB * MB
            assert hashlib.sha256(data).hexdigest() == attachment.sha256
            assert attachment.file_type in sf.ALLOWED
            expected_files.append(attachment.stored_name)
        keys = {
            key
            for (key,) in db.session.execute(
                select(OutboxEmail.event_key).where(
                    OutboxEmail.event_key.contains(response.reference)
                )
            )
        }
        assert keys == {
            f"alert:evidence:{response.reference}",
            f"receipt:evidence:{response.reference}",
        }
    assert on_disk == sorted(expected_files), "UPLOAD_FOLDER holds files of no stored response"
    assert db.session.scalar(select(db.func.count(Attachment.id))) == len(expected_files)


@FUZZ
@given(
    fields=FIELDS,
    hidden=HIDDEN,
    extra=EXTRA,
    files=uploads(PAGE_SAFE_CHARS),
    seconds=SECONDS,
)
@example(
    fields={name: value if isinstance(value, list) else [value] for name, value in VALID.items()},
    hidden={"token": "served", "loaded": "served", "website": "", "csrf": "served"},
    extra={},
    files=[Upload("report.pdf", sf.pdf()), Upload("notes.txt", sf.txt())],
    seconds=5,
)
@example(
    fields={
        **{name: value if isinstance(value, list) else [value] for name, value in VALID.items()},
        "evidence": ["\ud800"],
    },
    hidden={"token": "served", "loaded": "served", "website": "", "csrf": "served"},
    extra={},
    files=[],
    seconds=3,
)
@example(
    fields={name: value if isinstance(value, list) else [value] for name, value in VALID.items()},
    hidden={"token": "earlier", "loaded": "served", "website": "", "csrf": "served"},
    extra={},
    files=[Upload("late.pdf", sf.pdf_of_size(MB + 1))],
    seconds=5,
)
def test_the_evidence_form_survives_junk(
    fuzz_app, clock, state, fields, hidden, extra, files, seconds
):
    client = new_browser(fuzz_app)
    check(fuzz_app, client, clock, state, Sent(fields, hidden, extra, files, seconds))


@settings(FUZZ, max_examples=40)
@given(files=uploads(st.characters(exclude_categories=("Cs",))), seconds=st.just(5))
def test_any_file_name_keeps_the_store_consistent(fuzz_app, clock, state, files, seconds):
    """File names with any character at all (pages are not checked here: a control
    character in a name breaks the page, a bug kept in tests/test_evidence.py).

    Lone surrogates are left out: they have no UTF-8 form, and a part header that is not
    UTF-8 makes Werkzeug drop the whole body (a 400 for the missing CSRF token) and leave
    the temporary files of the parts before it unclosed, a ResourceWarning in Werkzeug,
    not in the app.
    """
    client = new_browser(fuzz_app, UncheckedClient)
    fields = {name: value if isinstance(value, list) else [value] for name, value in VALID.items()}
    hidden = {"token": "served", "loaded": "served", "website": "", "csrf": "served"}
    check(fuzz_app, client, clock, state, Sent(fields, hidden, {}, files, seconds))


# --- long text in any script reaches a strict mail server ---------------------------------------


@pytest.fixture
def mail_app(request, app_config) -> Iterator[Flask]:
    """An app without the rate limit, taking evidence of up to 20,000 characters."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    request.getfixturevalue("make_survey")()
    yield app


@settings(FUZZ, max_examples=25)
@given(evidence=long_text(20_000), name=names())
@example(evidence=(PARAGRAPH * 400)[:20_000], name="Siân مريم")
def test_long_text_in_any_script_reaches_the_mail_server_intact(
    mail_app, clock, smtp_server, evidence, name
):
    """Whatever its length or script, evidence arrives in both emails as it was stored.

    The suite's SMTP server refuses lines over 998 octets, as strict servers do.
    """
    smtp_server.clear()
    client = new_browser(mail_app)
    shown = client.get(URL)
    clock.advance(seconds=5)
    data, content_type = sf.multipart(
        body_fields(shown, {**VALID, "name": name, "evidence": evidence})
    )

    answer = client.post(URL, data=data, content_type=content_type)

    if not name.strip() or not evidence.strip():
        assert answer.status_code == 422
        return
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    response = stored_responses()[-1]
    assert outbox_deliver(clock.now) == (2, 0)
    received = smtp_server.received
    assert len(received) == 2
    assert_arrived_intact(received, response.evidence_text, response.name)
