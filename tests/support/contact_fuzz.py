"""Junk for the message form, for hypothesis, and how to tell what the site may make of
it: bodies sent as raw bytes and read back as the server reads them, each field's two
readings (as sent, or without what HTML forbids), whether a reading is a valid message,
and whether a stored message is one of them. Used by tests/test_contact_fuzz.py and the
change form's fuzz test in tests/test_contact_changes.py."""

from __future__ import annotations

from urllib.parse import quote_plus

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app.models import Response
from tests.support.fuzz import ANY_TEXT, sent_as, without_forbidden

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Junk beyond test_form_fuzz's: lone surrogates, bytes that are not UTF-8, numbers.
RAW = st.one_of(
    st.binary(max_size=30),
    st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"%", b"+", b"&", b"="]),
)
JUNK = st.one_of(
    ANY_TEXT,
    RAW,
    st.sampled_from(["\ud800", "a\udfffb"]),
    st.integers().map(str),
    st.floats(allow_nan=True).map(str),
)


def mostly(good: st.SearchStrategy, junk: st.SearchStrategy, odds: int = 3) -> st.SearchStrategy:
    """Usually (`odds` to one) what a person would send, often enough junk."""
    return st.sampled_from([True] * odds + [False]).flatmap(lambda ok: good if ok else junk)


# --- sending a body, and reading it as the server does -------------------------------------

Value = str | bytes


def encode(entries: list[tuple[str, Value]]) -> bytes:
    """An urlencoded body; a str is sent as UTF-8 (a lone surrogate as its bytes)."""

    def quoted(value: Value) -> str:
        raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
        return quote_plus(raw)

    return "&".join(f"{quoted(name)}={quoted(value)}" for name, value in entries).encode()


def received(body: bytes) -> MultiDict:
    """The fields as the server reads this body."""
    environ = EnvironBuilder(
        method="POST", data=body, content_type="application/x-www-form-urlencoded"
    ).get_environ()
    return Request(environ).form


def readings(form: MultiDict, name: str) -> list[list[str]]:
    """A field's values as the site may read them: as received, or cleaned (the characters
    HTML forbids dropped, CRLF as LF)."""
    values = form.getlist(name)
    return [values, [without_forbidden(value) for value in values]]


def firsts(form: MultiDict, name: str) -> list[str | None]:
    """The first value of a field in each reading (None when it is missing)."""
    return [values[0] if values else None for values in readings(form, name)]


def entries_of(fields: dict[str, list[Value]], extra: dict[str, str]) -> list[tuple[str, Value]]:
    """The body's fields, each value in turn, then the fields the form does not have."""
    pairs = [(name, value) for name, values in fields.items() for value in values]
    return pairs + list(extra.items())


def post(client, url: str, entries: list[tuple[str, Value]]):
    """Send `entries` as the body; the answer, and the fields as the server read them."""
    body = encode(entries)
    response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    return response, received(body)


# --- the message form --------------------------------------------------------------------------


def assert_message_valid(message: Response) -> None:
    """The stored message is one the form could have made."""
    assert message.name.strip() and len(message.name) <= 200
    assert len(message.email) <= 254
    assert validate_email(message.email, check_deliverability=False).normalized == message.email
    if message.phone:
        number = phonenumbers.parse(message.phone, None)
        assert phonenumbers.is_valid_number(number)
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert e164 == message.phone
    assert message.subject.strip() and len(message.subject) <= 150
    assert message.message.strip() and len(message.message) <= 5000
    assert len(message.organisation) <= 200
    if message.wants_call:
        assert message.phone, "a call wanted without a telephone number"


GOOD_NAMES = ["Ann Example", "  Zoë Ó Ceallaigh ", "李小龍", "O'Brien-Smith"]
GOOD_EMAILS = ["ann@example.org", " Ann.Example@Example.ORG ", "x@bücher.example"]
GOOD_PHONES = [
    "020 7946 0123",
    "+44 808 157 0192",
    "07400 123456",
    "(020) 7946-0123",
    "+353 1 234 5678",
]
GOOD_SUBJECTS = ["Bus routes", "  Ein Thema  ", "x" * 150]
GOOD_MESSAGES = ["Hello.\r\nSecond line.", "x" * 5000, " padded "]
GOOD_ORGANISATIONS = ["", "Riverside Tenants", "   "]

BAD = {
    "name": ["", "   ", "\u3000", "x" * 201],
    "email": ["", "ann", "ann@", "@example.org", "ann@@example.org", "a" * 250 + "@x.org"],
    "phone": ["123", "not a number", "+44", "0" * 41, "020 7946 0123" + " " * 30],
    "subject": ["", "  ", "x" * 151],
    "message": ["", "\r\n", "x" * 5001],
    "organisation": ["x" * 201],
    "wants_call": ["", "Yes", "maybe", "yes "],
}


def field(good: list[str], bad: list[str]) -> st.SearchStrategy[list[Value]]:
    return sent_as(mostly(st.sampled_from(good), st.one_of(st.sampled_from(bad), JUNK)))


MESSAGE_FIELDS = st.fixed_dictionaries(
    {
        "name": field(GOOD_NAMES, BAD["name"]),
        "email": field(GOOD_EMAILS, BAD["email"]),
        "phone": field([*GOOD_PHONES, ""], BAD["phone"]),
        "organisation": field(GOOD_ORGANISATIONS, BAD["organisation"]),
        "subject": field(GOOD_SUBJECTS, BAD["subject"]),
        "message": field(GOOD_MESSAGES, BAD["message"]),
        "wants_call": field(["yes", "no"], BAD["wants_call"]),
    }
)
MESSAGE_NAMES = {"name", "email", "phone", "organisation", "subject", "message", "wants_call"}


def message_verdict(values: dict[str, str | None]) -> bool | None:
    """Whether one reading of the message form is valid: True, False or None (cannot say)."""
    name, email, phone = values["name"], values["email"], values["phone"]
    subject, text, wants, organisation = (
        values["subject"],
        values["message"],
        values["wants_call"],
        values["organisation"],
    )
    blank = lambda v: v is None or not v.strip()  # noqa: E731
    if (
        blank(name)
        or len(name) > 200
        or blank(email)
        or len(email) > 254
        or "@" not in email
        or blank(subject)
        or len(subject) > 150
        or blank(text)
        or len(text) > 5000
        or wants not in ("yes", "no")
        or (wants == "yes" and blank(phone))
        or (not blank(phone) and len(phone) > 40)
        or (not blank(organisation) and len(organisation) > 200)
    ):
        return False
    good = (
        name in GOOD_NAMES
        and email in GOOD_EMAILS
        and (phone is None or phone in ["", *GOOD_PHONES])
        and (organisation is None or organisation in GOOD_ORGANISATIONS)
        and subject in GOOD_SUBJECTS
        and text in GOOD_MESSAGES
    )
    return True if good else None


def stored_as_sent(message: Response, form: MultiDict) -> bool:
    """Whether the stored message is one reading of what was sent."""
    for reading in (0, 1):
        values = {name: firsts(form, name)[reading] for name in MESSAGE_NAMES}
        phone = (values["phone"] or "").strip()
        try:
            email = validate_email(values["email"].strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            continue
        e164 = ""
        if phone:
            number = phonenumbers.parse(phone, "GB")
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if (
            message.name == values["name"].strip()
            and message.email == email
            and message.phone == e164
            and message.organisation == (values["organisation"] or "").strip()
            and message.subject == values["subject"].strip()
            and message.message == values["message"].strip()
            and message.wants_call == (values["wants_call"] == "yes")
        ):
            return True
    return False
