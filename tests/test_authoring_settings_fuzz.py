"""Junk thrown at the form that creates a consultation and changes its settings, with
hypothesis: every field missing, repeated, empty, enormous, full of control characters,
digits of other scripts, dates that do not exist; unknown fields come along; sent
plainly, as htmx, or with the Preview button; to the page and to its htmx check.

For any input:

- never a 5xx;
- a new consultation: 303 (stored, as a draft, with one audit event) or 422 with an
  error summary whose links point at ids on the page, each message also by its field,
  and nothing stored; the Preview button and the check store nothing (200);
- a change to an open published consultation: 303, 422 as above, or 200 asking to
  confirm moved dates; nothing changes but with a 303;
- whatever is stored passes the consultation file's own checks again, as a file of a
  draft or (once published) of a published consultation, and fits its columns;
- values certainly valid are stored (303).

As elsewhere, the site drops the characters HTML forbids from every value, so the pages
echoing them are still checked as HTML.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.consultations.files import parse_consultation
from app.extensions import db
from app.formatting import phones
from app.models import AuditEvent, Consultation
from tests.support.clients import UncheckedClient, new_browser
from tests.support.factories import ADMIN_EMAIL, SLUG, AuthActions, csrf_token
from tests.support.fuzz import (
    ANY_TEXT,
    PAGE_SAFE_TEXT,
    assert_form_error_page,
    body,
    extra_fields,
    sent_as,
)
from tests.support.html_checks import check_page
from tests.support.pages import page

NEW_URL = "/admin/consultations/new"
EDIT_URL = f"/admin/consultations/{SLUG}/settings"

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

VALID = {
    "title": "Local services, local providers",
    "slug": "",
    "summary": "How councils buy services.",
    "body": "## Why\n\nWe ask *everyone*.",
    "opens_at": "2027-03-01T09:00",
    "closes_at": "2027-04-30T17:00",
    "grace_minutes": "30",
    "officer_name": "Ama Mensah",
    "officer_email": "ama@example.org",
    "officer_phone": "020 7946 0000",
    "channels": ["evidence", "contact"],
    "respondent_types": "Community organisation\nOther",
    "topics": "Trends\nFailures",
    "evidence_max_length": "20000",
    "max_files": "3",
    "max_mb": "10",
    "attachment_types": ["pdf", "txt"],
    "messages_after_close": "yes",
    "bookings_after_close": "no",
    "alert_mode": "instant",
}

DATES = [
    "2027-03-01T09:00",
    "2027-04-30T17:00",
    "2027-01-01T00:00",
    "2027-03-28T01:30",  # the clocks go forward: does not exist
    "2027-10-31T01:30",  # the clocks go back: happens twice
    "2027-02-30T10:00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2027-03-01",
    "2027-03-01 17:00",
    "٢٠٢٧-٠٣-٠١T09:00",
    "",
]
NUMBERS = [
    "0",
    "1",
    "3",
    "10",
    "11",
    "25",
    "26",
    "-1",
    "1,440",
    "1441",
    "100000",
    "100001",
    "2.5",
    "1e3",
    "٣",
    "３",
    "1_0",
    " 7 ",
    "9" * 400,
    "9" * 5000,
    "",
]
NEAR_CHOICES = [
    "survey",
    "evidence",
    "contact",
    "Survey",
    "survey ",
    "pigeon",
    "pdf",
    "docx",
    "odt",
    "txt",
    "exe",
    "PDF",
    "yes",
    "no",
    "Yes",
    "maybe",
    "instant",
    "daily",
    "weekly",
    "",
]
SLUGS = [
    "",
    "local-services",
    "new",
    "Local-Services",
    "a--b",
    "-a",
    "a" * 80,
    "a" * 81,
    "ümlaut",
    "test-consultation",
]


def text(*samples: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(samples), PAGE_SAFE_TEXT, ANY_TEXT)


FIELDS = {
    "title": text(VALID["title"], "", " ", "x" * 200, "x" * 201, "Ωμέγα"),
    "slug": text(*SLUGS),
    "summary": text(VALID["summary"], "", "\n"),
    "body": text(VALID["body"], "<script>alert(1)</script>", "[x](javascript:alert(1))"),
    "opens_at": text(*DATES),
    "closes_at": text(*DATES),
    "grace_minutes": text(*NUMBERS),
    "officer_name": text(VALID["officer_name"], "", "n" * 201),
    "officer_email": text(VALID["officer_email"], "", "a@", "A@EXAMPLE.ORG", "a" * 250 + "@x.org"),
    "officer_phone": text(VALID["officer_phone"], "", "12345", "+44 808 157 0192 ext. 3"),
    "channels": text(*NEAR_CHOICES),
    "respondent_types": text(VALID["respondent_types"], "", "\n\n", "r" * 201),
    "topics": text(VALID["topics"], "", "t" * 201 + "\nTrends"),
    "evidence_max_length": text(*NUMBERS),
    "max_files": text(*NUMBERS),
    "max_mb": text(*NUMBERS),
    "attachment_types": text(*NEAR_CHOICES),
    "messages_after_close": text(*NEAR_CHOICES),
    "bookings_after_close": text(*NEAR_CHOICES),
    "alert_mode": text(*NEAR_CHOICES),
}


def valid_as_sent(name: str) -> list[str]:
    value = VALID[name]
    return value if isinstance(value, list) else [value]


# A few fields junk (sent once, several times or not at all), the others valid.
JUNK = st.sets(st.sampled_from(sorted(FIELDS)), max_size=4).flatmap(
    lambda names: st.fixed_dictionaries({name: sent_as(FIELDS[name]) for name in names})
)
# The survey's own dates: an edit that keeps them saves without asking to confirm.
SAVED_DATES = {"opens_at": ["2027-01-25T12:00"], "closes_at": ["2027-02-22T12:00"]}


def valid_form(**changes: list[str]) -> dict[str, list[str]]:
    return {**{name: valid_as_sent(name) for name in FIELDS}, **changes}


HOW = st.sampled_from(["plain", "htmx", "preview"])


@dataclass
class World:
    app: Flask
    admin: FlaskClient
    token: str


@pytest.fixture
def world(request, app_config, clock) -> Iterator[World]:
    """An app without rate limits whose crashes are 500s the test sees; the admin signed
    in; the routed survey, published and open, to change."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    request.getfixturevalue("admin_user")
    request.getfixturevalue("make_survey")()
    admin = new_browser(app, UncheckedClient)
    assert AuthActions(admin).login().status_code == 303
    yield World(app=app, admin=admin, token=csrf_token(admin, "/admin/"))


def checked(response):
    """The structural checks every page passes; the parsed page."""
    fragment = bool(response.request.headers.get("HX-Request"))
    return check_page(response.get_data(as_text=True), fragment=fragment)


def consultations() -> list[tuple]:
    db.session.rollback()
    rows = db.session.scalars(select(Consultation).order_by(Consultation.id))
    return [snapshot(row) for row in rows]


def snapshot(row: Consultation) -> tuple:
    return (
        row.slug,
        row.title,
        row.summary,
        row.body,
        row.opens_at,
        row.closes_at,
        row.grace_minutes,
        row.officer_name,
        row.officer_email,
        row.officer_phone,
        tuple(row.channels),
        repr(row.evidence_settings),
        row.messages_after_close,
        row.bookings_after_close,
        row.alert_mode,
        row.version,
        row.published_at,
    )


def audit_total() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def assert_nothing_invalid_stored(app: Flask) -> None:
    """Every consultation stored passes the file's checks again, and fits its columns."""
    db.session.rollback()
    for row in db.session.scalars(select(Consultation)):
        data = {
            "slug": row.slug,
            "title": row.title,
            "summary": row.summary,
            "body": row.body,
            "opens_at": row.opens_at,
            "closes_at": row.closes_at,
            "grace_minutes": row.grace_minutes,
            "officer": {
                "name": row.officer_name,
                "email": row.officer_email,
                "phone": row.officer_phone,
            },
            "channels": list(row.channels),
            "contact": {
                "messages_after_close": row.messages_after_close,
                "bookings_after_close": row.bookings_after_close,
            },
            "alert_mode": row.alert_mode,
        }
        if row.evidence_settings:
            data["evidence"] = row.evidence_settings
        if row.questions:
            data["survey"] = {
                "pages": [
                    {
                        "title": "p",
                        "questions": [
                            {"key": q.key, "type": "text", "prompt": "q"} for q in row.questions
                        ],
                    }
                ]
            }
        parse_consultation(data, row.slug, app.config["SITE_ZONE"], draft=row.is_draft)
        assert row.slug != "new"
        assert len(row.officer_name) <= 200 and row.officer_name == " ".join(
            row.officer_name.split()
        )
        assert row.title == " ".join(row.title.split())
        region = app.config["PHONE_REGION"]
        assert row.officer_phone == "" or phones.parse(row.officer_phone, region) is not None
        assert row.opens_at < row.closes_at


def send(world: World, url: str, fields: dict, extra: dict, how: str):
    data = body(fields, extra, world.token)
    if how == "preview":
        data.add("action", "preview")
    headers = {"HX-Request": "true"} if how == "htmx" else {}
    return world.admin.post(url, data=data, headers=headers)


@FUZZ
@given(junk=JUNK, extra=extra_fields({*FIELDS, "csrf_token", "action", "version"}), how=HOW)
@example(junk={}, extra={}, how="plain")
@example(junk={"max_files": ["9" * 5000]}, extra={}, how="plain")
@example(junk={"title": ["Ωμέγα"]}, extra={}, how="plain")
@example(junk={"title": [""], "slug": [""]}, extra={}, how="plain")
def test_creating_a_consultation_survives_junk(world, junk, extra, how):
    fields = valid_form(**junk)
    before, audits = consultations(), audit_total()

    response = send(world, NEW_URL, fields, extra, how)

    status = response.status_code
    event(f"{how} {status}")
    assert status < 500
    assert_nothing_invalid_stored(world.app)
    after = consultations()
    if how == "preview":
        assert status == 200 and after == before
        checked(response)
        return
    assert status in (303, 422), status
    if status == 422:
        assert_form_error_page(response)
        checked(response)
        assert after == before and audit_total() == audits
        return
    [made] = [row for row in after if row not in before]
    assert made[-1] is None  # a draft
    assert audit_total() == audits + 1
    assert response.headers["Location"].endswith(f"/admin/consultations/{made[0]}")
    if not junk:
        assert made[1] == VALID["title"]
        assert made[0].startswith("local-services-local-providers")


@FUZZ
@given(junk=JUNK, extra=extra_fields({*FIELDS, "csrf_token", "action", "version"}), how=HOW)
@example(junk={}, extra={}, how="plain")
@example(junk={"channels": []}, extra={}, how="plain")
@example(junk={"closes_at": ["2027-03-08T17:00"]}, extra={}, how="plain")
def test_changing_a_published_consultation_survives_junk(world, junk, extra, how):
    fields = valid_form(**{**SAVED_DATES, **junk})
    shown = world.admin.get(EDIT_URL)
    version = page(shown).find("input", attrs={"name": "version"})["value"]
    before, audits = consultations(), audit_total()

    response = send(world, EDIT_URL, {**fields, "version": [version]}, extra, how)

    status = response.status_code
    event(f"{how} {status}")
    assert status < 500
    assert_nothing_invalid_stored(world.app)
    after = consultations()
    if how == "preview":
        assert status == 200 and after == before
        checked(response)
        return
    assert status in (200, 303, 422), status
    if status == 303:
        assert after[0][0] == SLUG  # published: the web address stays
        assert audit_total() in (audits, audits + 1)
        assert after[0][4:6] == before[0][4:6]  # moving the dates of an open one asks first
        return
    assert after == before and audit_total() == audits
    if status == 200:
        soup = checked(response)
        assert soup.find(id="date-change") is not None
    else:
        assert_form_error_page(response)
        checked(response)


@FUZZ
@given(
    junk=JUNK,
    extra=extra_fields({*FIELDS, "csrf_token"}),
    url=st.sampled_from([f"{NEW_URL}/check", f"{EDIT_URL}/check"]),
)
def test_the_check_survives_junk_and_stores_nothing(world, junk, extra, url):
    before, audits = consultations(), audit_total()

    response = world.admin.post(
        url, data=body(valid_form(**junk), extra, world.token), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    checked(response)
    assert consultations() == before and audit_total() == audits


SEGMENTS = st.one_of(
    st.sampled_from(["new", "no-such-thing", "%00", "..", "' OR 1=1 --", f"{SLUG}%", "9" * 400]),
    ANY_TEXT,
)


@FUZZ
@given(segment=SEGMENTS, method=st.sampled_from(["GET", "POST"]), check=st.booleans())
def test_junk_in_the_address_is_not_found_without_a_crash(world, segment, method, check):
    before = consultations()
    url = f"/admin/consultations/{quote(segment.encode('utf-8', 'surrogatepass'), safe='')}"
    url += "/settings/check" if check else "/settings"

    response = world.admin.open(url, method=method, data={"csrf_token": world.token})

    assert response.status_code < 500
    assert consultations() == before


def test_the_stored_instants_are_the_typed_wall_clock_times(world):
    """The autumn hour that happens twice: the first of the two is taken, as elsewhere."""
    fields = valid_form(opens_at=["2027-10-31T01:30"], closes_at=["2027-11-30T17:00"])

    response = send(world, NEW_URL, fields, {}, "plain")

    assert response.status_code == 303
    made = db.session.scalar(select(Consultation).filter(Consultation.slug != SLUG))
    assert made.opens_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert made.officer_email == "ama@example.org"
    assert ADMIN_EMAIL in db.session.scalars(select(AuditEvent.actor)).all()
