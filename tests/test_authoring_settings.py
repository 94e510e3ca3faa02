"""Creating a consultation and changing its settings in the browser (issue 18).

One form, checked by the consultation file's own rules: a field at a time, valid and
invalid; a new consultation is a draft nobody else can see; its web address is made from
the title and fixed once published; every change is audited before and after; two admins
cannot overwrite each other; moving the dates of an open consultation says what it does
first; the page text's preview, with and without htmx; officers are refused.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.admin.authoring.settings import date_change_summary, slug_from_title
from app.consultations.lifecycle import Override
from app.extensions import db
from app.models import AuditEvent, Consultation
from tests.support.actors import Admin, Officer, Respondent
from tests.support.audit import audit_count
from tests.support.clients import utc
from tests.support.factories import SLUG, TITLE, csrf_token
from tests.support.pages import (
    error_messages,
    field_error,
    page,
    redirect_path,
    sent_by,
    summary_links,
    text_of,
    with_changes,
)

NEW_URL = "/admin/consultations/new"
LONDON = ZoneInfo("Europe/London")

# A whole new consultation, as an admin types it (the test's clock says 1 February 2027).
NEW = {
    "title": "Local services, local providers",
    "slug": "",
    "summary": "How councils buy services from local organisations.",
    "body": "## Why we ask\n\nWe want to hear from *everyone*.",
    "opens_at": "2027-03-01T09:00",
    "closes_at": "2027-04-30T17:00",
    "grace_minutes": "30",
    "officer_name": "Ama Mensah",
    "officer_email": "ama@example.org",
    "officer_phone": "020 7946 0000",
    "channels": ["evidence", "contact"],
    "respondent_types": "Community organisation\nCouncillor\nOther",
    "topics": "Trends\nFailures",
    "evidence_max_length": "20000",
    "max_files": "3",
    "max_mb": "10",
    "attachment_types": ["pdf", "docx", "odt", "txt"],
    "messages_after_close": "yes",
    "bookings_after_close": "no",
    "alert_mode": "instant",
}


def settings_url(slug: str = SLUG) -> str:
    return f"/admin/consultations/{slug}/settings"


def stored(slug: str = SLUG) -> Consultation | None:
    """The consultation as stored now."""
    db.session.rollback()
    return db.session.scalar(select(Consultation).filter_by(slug=slug))


def audit_details(action: str) -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent.detail).filter_by(action=action).order_by(AuditEvent.id)
        )
    )


def shown_form(response) -> MultiDict:
    """The settings form's fields as a browser would send them, without a button."""
    form = page(response).find(
        "form", action=lambda action: action == NEW_URL or action.endswith("/settings")
    )
    assert form is not None, "no settings form on the page"
    return sent_by(form)


def create(browser, **changes):
    """Fill in the new consultation form (NEW, with `changes`) and send it."""
    token = csrf_token(browser, NEW_URL)
    data = with_changes(MultiDict({"csrf_token": token}), {**NEW, **changes})
    return browser.post(NEW_URL, data=data)


def edit(browser, **changes):
    """Open the settings form of the factory's consultation, change some fields, send it."""
    shown = browser.get(settings_url())
    assert shown.status_code == 200, shown.status_code
    return browser.post(settings_url(), data=with_changes(shown_form(shown), changes))


def value_shown(response, name: str) -> str | list[str]:
    """What the form on the page holds for `name` (a list for checkboxes)."""
    values = shown_form(response).getlist(name)
    soup = page(response)
    if soup.find("input", attrs={"name": name, "type": "checkbox"}):
        return values
    return values[0] if values else ""


@pytest.fixture
def admin(app, admin_user) -> Admin:
    return Admin.signs_in(app)


# Creating a consultation


def test_the_new_form_shows_every_default(admin):
    """Optional settings come filled in with their defaults, and the ways of taking part
    are the channels the site has."""
    response = admin.reads(NEW_URL)

    assert response.status_code == 200
    soup = page(response)
    assert text_of(soup.find("h1")) == "Create a consultation"
    assert value_shown(response, "respondent_types").splitlines() == [
        "Community organisation",
        "Elected councillor",
        "Council officer",
        "Think tank",
        "Academic",
        "Other",
    ]
    assert value_shown(response, "grace_minutes") == "30"
    assert value_shown(response, "max_files") == "3"
    assert value_shown(response, "max_mb") == "10"
    assert value_shown(response, "evidence_max_length") == "20000"
    assert value_shown(response, "attachment_types") == ["pdf", "docx", "odt", "txt"]
    assert value_shown(response, "messages_after_close") == "yes"
    assert value_shown(response, "bookings_after_close") == "no"
    assert value_shown(response, "alert_mode") == "instant"
    assert value_shown(response, "channels") == []
    ways = [text_of(soup.find("label", attrs={"for": f"channels-{n}"})) for n in (1, 2, 3)]
    assert ways == ["Answer the survey", "Send written evidence", "Get in touch"]


def test_a_new_consultation_is_a_draft_nobody_else_can_see(admin, client, clock):
    response = create(admin.browser)

    assert response.status_code == 303
    slug = "local-services-local-providers"
    assert redirect_path(response) == f"/admin/consultations/{slug}"
    consultation = stored(slug)
    assert consultation.is_draft
    assert consultation.title == NEW["title"]
    assert consultation.opens_at == utc(2027, 3, 1, 9, 0)
    assert consultation.closes_at == utc(2027, 4, 30, 16, 0)  # 5pm in British Summer Time
    assert consultation.channels == ["evidence", "contact"]
    assert consultation.officer_email == "ama@example.org"
    assert consultation.evidence_settings["topics"] == ["Trends", "Failures"]
    assert audit_details("create") == [f"Created as a draft: {NEW['title']}"]
    public = Respondent(admin.browser.application, clock).browser
    assert public.get(f"/consultations/{slug}").status_code == 404
    assert NEW["title"] not in public.get("/").get_data(as_text=True)


def test_the_web_address_is_made_from_the_title(admin, make_consultation):
    """Left empty, the web address comes from the title; one already used gets a number."""
    make_consultation(slug="local-services-2027")

    response = create(admin.browser, title="Local services, 2027!", slug="")

    assert response.status_code == 303
    assert redirect_path(response) == "/admin/consultations/local-services-2027-2"
    assert stored("local-services-2027-2").title == "Local services, 2027!"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Crèche & café provision: 2027/28", "creche-cafe-provision-2027-28"),
        ("  --Spaces   and -- dashes--  ", "spaces-and-dashes"),
        ("Ωμέγα", ""),
        ("x" * 100, "x" * 80),
    ],
)
def test_a_web_address_from_a_title(title, slug):
    assert slug_from_title(title) == slug


def test_a_title_that_gives_no_web_address_asks_for_one(admin):
    response = create(admin.browser, title="Ωμέγα", slug="")

    assert response.status_code == 422
    assert field_error(response, "slug") == (
        "Enter a web address, like local-services-2027. It cannot be made from the title"
        " 'Ωμέγα', which has no letters from a to z or digits"
    )
    assert value_shown(response, "title") == "Ωμέγα"
    assert db.session.scalar(select(Consultation.id)) is None


def test_a_web_address_already_used_is_refused(admin, make_consultation):
    make_consultation(slug="local-services", title="Library opening hours")

    response = create(admin.browser, slug="local-services")

    assert response.status_code == 422
    message = (
        "The web address /consultations/local-services is already used by"
        " 'Library opening hours'. Enter another"
    )
    assert field_error(response, "slug") == message
    assert summary_links(response) == {message: "slug"}
    assert value_shown(response, "summary") == NEW["summary"]
    assert audit_count() == 0


def test_a_web_address_already_used_is_said_with_every_other_problem(admin, make_consultation):
    """Not only once everything else is right: all the problems come at once."""
    make_consultation(slug="local-services", title="Library opening hours")

    response = create(admin.browser, slug="local-services", summary="", grace_minutes="lots")

    assert response.status_code == 422
    assert set(summary_links(response).values()) == {"slug", "summary", "grace_minutes"}
    assert field_error(response, "slug") == (
        "The web address /consultations/local-services is already used by"
        " 'Library opening hours'. Enter another"
    )


def test_a_draft_cannot_take_another_consultations_web_address(admin, make_consultation):
    make_consultation(published_at=None)
    make_consultation(slug="local-services", title="Library opening hours")

    response = edit(admin.browser, slug="local-services", title="")

    assert response.status_code == 422
    assert set(summary_links(response).values()) == {"slug", "title"}
    assert "already used by 'Library opening hours'" in field_error(response, "slug")
    assert stored().title == TITLE


def test_the_address_of_the_new_page_cannot_be_taken(admin):
    response = create(admin.browser, slug="new")

    assert response.status_code == 422
    assert field_error(response, "slug") == (
        "The web address /consultations/new is kept for the site. Enter another"
    )


# Each field: a value refused, with its message by the field, and everything else kept

REFUSED = [
    ("title", "", "title", "Enter a title"),
    (
        "title",
        "x" * 254,
        "title",
        "Enter a title of 200 characters or fewer. You entered 254 characters",
    ),
    (
        "slug",
        "Local Services",
        "slug",
        "Enter a web address of lower-case letters, digits and single hyphens, like"
        " local-services-2027. You entered 'Local Services'",
    ),
    ("slug", "double--hyphen", "slug", None),
    (
        "slug",
        "x" * 81,
        "slug",
        "Enter a web address of 80 characters or fewer. You entered 81 characters",
    ),
    ("summary", "   ", "summary", "Enter a summary"),
    ("opens_at", "", "opens_at", "Enter the opening date and time"),
    (
        "opens_at",
        "1 March 2027",
        "opens_at",
        "Enter the opening time as a real date and time, like 2027-03-01 17:00."
        " You entered '1 March 2027'",
    ),
    (
        "opens_at",
        "2027-03-28T01:15",
        "opens_at",
        "The opening time you entered, 01:15 on 28 March 2027, does not exist in UK time"
        " because the clocks go forward. Enter another time, like 02:15",
    ),
    (
        "closes_at",
        "2027-02-30T17:00",
        "closes_at",
        "Enter the deadline as a real date and time, like 2027-03-01 17:00."
        " You entered '2027-02-30T17:00'",
    ),
    (
        "closes_at",
        "2027-03-01T08:00",
        "closes_at",
        "Enter a deadline after the opening time, 9am UK time on 1 March 2027."
        " You entered 8am UK time on 1 March 2027",
    ),
    (
        "closes_at",
        "2027-03-28T01:30",
        "closes_at",
        "The deadline you entered, 01:30 on 28 March 2027, does not exist in UK time because"
        " the clocks go forward. Enter another time, like 02:30",
    ),
    (
        "grace_minutes",
        "1441",
        "grace_minutes",
        "Enter a grace period from 0 to 1,440 minutes. You entered '1441'",
    ),
    (
        "grace_minutes",
        "half an hour",
        "grace_minutes",
        "Enter the grace period as a whole number of minutes, like 30. You entered 'half an hour'",
    ),
    ("officer_name", " ", "officer_name", "Enter the policy officer's name"),
    (
        "officer_name",
        "n" * 201,
        "officer_name",
        "Enter the policy officer's name in 200 characters or fewer. You entered 201 characters",
    ),
    (
        "officer_email",
        "ama@",
        "officer_email",
        "Enter the policy officer's email address in the correct format, like"
        " name@example.org. You entered 'ama@'",
    ),
    (
        "officer_phone",
        "12345",
        "officer_phone",
        "Enter the policy officer's telephone number, like 020 7946 0000 or +44 808 157 0192."
        " You entered '12345'",
    ),
    (
        "channels",
        ["evidence", "pigeon"],
        "channels-1",
        "Select only the ways of taking part shown. 'pigeon' is not one of them",
    ),
    (
        "respondent_types",
        "Councillor\n\n" + "r" * 201,
        "respondent_types",
        "Enter each respondent type in 200 characters or fewer. Line 3 has 201 characters",
    ),
    (
        "topics",
        "Trends\n" + "t" * 250,
        "topics",
        "Enter each theme in 200 characters or fewer. Line 2 has 250 characters",
    ),
    (
        "evidence_max_length",
        "0",
        "evidence_max_length",
        "Enter a length for written evidence from 1 to 100,000 characters. You entered '0'",
    ),
    (
        "evidence_max_length",
        "lots",
        "evidence_max_length",
        "Enter the longest written evidence as a whole number of characters, like 20000."
        " You entered 'lots'",
    ),
    (
        "max_files",
        "11",
        "max_files",
        "Enter a number of documents with each response from 0 to 10. You entered '11'",
    ),
    (
        "max_files",
        "-1",
        "max_files",
        "Enter a number of documents with each response from 0 to 10. You entered '-1'",
    ),
    (
        "max_files",
        "2.5",
        "max_files",
        "Enter the most documents with each response as a whole number, like 3. You entered '2.5'",
    ),
    ("max_mb", "0", "max_mb", "Enter a largest document size from 1 to 25 MB. You entered '0'"),
    ("max_mb", "26", "max_mb", "Enter a largest document size from 1 to 25 MB. You entered '26'"),
    (
        "max_mb",
        "ten megabytes or so",
        "max_mb",
        "Enter the largest document size as a whole number of MB, like 10."
        " You entered 'ten megabytes or so'",
    ),
    (
        "max_mb",
        "9" * 400,
        "max_mb",
        "Enter a largest document size from 1 to 25 MB. You entered '9999999999999999999…'",
    ),
    (
        "attachment_types",
        ["pdf", "exe"],
        "attachment_types-1",
        "Select only the types of document shown. 'exe' is not one of them",
    ),
    (
        "attachment_types",
        [],
        "attachment_types-1",
        "Select at least one type of document, or enter 0 as the most documents with each"
        " response to accept none",
    ),
    ("messages_after_close", "maybe", "messages_after_close-1", "Select one of the options shown"),
    (
        "messages_after_close",
        None,
        "messages_after_close-1",
        "Select yes if people can send messages after it closes, or no",
    ),
    (
        "bookings_after_close",
        None,
        "bookings_after_close-1",
        "Select yes if people can book calls after it closes, or no",
    ),
    (
        "alert_mode",
        "weekly",
        "alert_mode-1",
        "Select only the email alert options shown. 'weekly' is not one of them",
    ),
    ("alert_mode", None, "alert_mode-1", "Select how the policy officer hears about new responses"),
    (
        "summary",
        "Local services.\fPage two.",
        "summary",
        "Enter the summary without the hidden character U+000C, which may have come with"
        " pasted text. You entered 'Local services. Pag…'",
    ),
    (
        "body",
        "Why we ask.\fPage two.",
        "body",
        "Enter the page text without the hidden character U+000C, which may have come with"
        " pasted text. You entered 'Why we ask. Page tw…'",
    ),
]


@pytest.mark.parametrize(
    ("name", "value", "target", "message"),
    REFUSED,
    ids=[f"{name}-{i}" for i, (name, *_rest) in enumerate(REFUSED)],
)
def test_a_refused_value_is_shown_by_its_field_and_nothing_is_lost(
    admin, name, value, target, message
):
    """422: the message by the field and in the error summary, linked to it; every other
    value as typed; nothing stored."""
    response = create(admin.browser, **{name: value})

    assert response.status_code == 422, error_messages(response)
    field_id = target.removesuffix("-1")
    shown = field_error(response, field_id)
    if message is not None:
        assert shown == message
    assert summary_links(response) == {shown: target}
    assert page(response).title.get_text().startswith("Error: ")
    for other, typed in NEW.items():
        if other != name:
            assert value_shown(response, other) == typed, other
    assert db.session.scalar(select(Consultation.id)) is None
    assert audit_count() == 0


# Each field: values accepted, and what is stored of them

ACCEPTED = [
    ("title", "  Local   services  ", "title", "Local services"),
    ("slug", "my-consultation-2027", "slug", "my-consultation-2027"),
    ("summary", "One paragraph.\n", "summary", "One paragraph."),
    ("body", "", "body", ""),
    ("opens_at", "2027-10-31T01:30", "opens_at", utc(2027, 10, 31, 0, 30)),  # the first 1:30
    ("closes_at", "2027-10-31T01:30", "closes_at", utc(2027, 10, 31, 0, 30)),
    ("grace_minutes", "0", "grace_minutes", 0),
    ("grace_minutes", "1,440", "grace_minutes", 1440),
    ("grace_minutes", "", "grace_minutes", 30),  # the site's default
    ("officer_email", "", "officer_email", ""),  # a draft may lack it
    ("officer_email", "Ama@Example.ORG", "officer_email", "Ama@example.org"),
    ("officer_phone", "", "officer_phone", ""),
    ("officer_phone", "+44 808 157 0192", "officer_phone", "0808 157 0192"),
    ("officer_phone", "02079460000", "officer_phone", "020 7946 0000"),
    ("channels", [], "channels", []),  # a draft may have none yet
    ("channels", ["contact", "survey"], "channels", ["survey", "contact"]),
    ("alert_mode", "daily", "alert_mode", "daily"),
    ("messages_after_close", "no", "messages_after_close", False),
    ("bookings_after_close", "yes", "bookings_after_close", True),
]


@pytest.mark.parametrize(
    ("name", "value", "column", "expected"),
    ACCEPTED,
    ids=[f"{name}-{i}" for i, (name, *_rest) in enumerate(ACCEPTED)],
)
def test_an_accepted_value_is_stored_as_meant(admin, name, value, column, expected):
    if name == "opens_at":
        # Opening in the autumn hour that happens twice needs a later deadline.
        response = create(admin.browser, opens_at=value, closes_at="2027-11-30T17:00")
    else:
        response = create(admin.browser, **{name: value})

    assert response.status_code == 303, error_messages(response)
    [consultation] = db.session.scalars(select(Consultation)).all()
    assert getattr(consultation, column) == expected


EVIDENCE_ACCEPTED = [
    ("respondent_types", "", "respondent_types", None),  # the default list
    (
        "respondent_types",
        " Parish council \n\nParish council\nResident",
        "respondent_types",
        ["Parish council", "Resident"],
    ),
    ("topics", "", "topics", []),  # a draft may have none yet
    ("topics", "Trends\n\n  Failures  \r\nTrends", "topics", ["Trends", "Failures"]),
    ("evidence_max_length", "100000", "max_length", 100_000),
    ("evidence_max_length", "", "max_length", 20_000),
    ("max_files", "0", ("attachments", "max_files"), 0),
    ("max_files", "", ("attachments", "max_files"), 3),
    ("max_mb", "25", ("attachments", "max_mb"), 25),
    ("attachment_types", ["txt", "pdf"], ("attachments", "types"), ["txt", "pdf"]),
]


@pytest.mark.parametrize(
    ("name", "value", "key", "expected"),
    EVIDENCE_ACCEPTED,
    ids=[f"{name}-{i}" for i, (name, *_rest) in enumerate(EVIDENCE_ACCEPTED)],
)
def test_an_accepted_evidence_setting_is_stored_as_meant(admin, name, value, key, expected):
    response = create(admin.browser, **{name: value})

    assert response.status_code == 303, error_messages(response)
    settings = db.session.scalars(select(Consultation)).one().evidence_settings
    for part in key if isinstance(key, tuple) else (key,):
        settings = settings[part]
    if expected is None:
        assert settings == [
            "Community organisation",
            "Elected councillor",
            "Council officer",
            "Think tank",
            "Academic",
            "Other",
        ]
    else:
        assert settings == expected


# Changing the settings


def test_the_settings_form_shows_what_is_saved(admin, make_survey):
    make_survey()

    response = admin.reads(settings_url())

    assert response.status_code == 200
    assert text_of(page(response).find("h1")) == "Change settings"
    assert value_shown(response, "title") == TITLE
    assert value_shown(response, "opens_at") == "2027-01-25T12:00"
    assert value_shown(response, "closes_at") == "2027-02-22T12:00"
    assert value_shown(response, "channels") == ["survey", "evidence", "contact"]
    assert value_shown(response, "topics").splitlines() == ["Trends", "Failures", "Local successes"]
    assert value_shown(response, "version") == str(stored().version)


def test_a_change_is_saved_and_audited_before_and_after(admin, make_consultation):
    make_consultation(published_at=None, closes_at=utc(2027, 3, 1, 17, 0))
    version = stored().version

    response = edit(
        admin.browser,
        title="Community services: what next",
        closes_at="2027-03-08T17:00",
        alert_mode="daily",
    )

    assert response.status_code == 303, error_messages(response)
    assert redirect_path(response) == f"/admin/consultations/{SLUG}"
    consultation = stored()
    assert consultation.title == "Community services: what next"
    assert consultation.closes_at == utc(2027, 3, 8, 17, 0)
    assert consultation.alert_mode == "daily"
    assert consultation.version == version + 1
    assert audit_details("change_settings") == [
        f"Title: {TITLE} → Community services: what next;"
        " Deadline: 5pm UK time on 1 March 2027 → 5pm UK time on 8 March 2027;"
        " Email alerts: an email for each response → a daily digest"
    ]
    assert "Settings saved." in text_of(
        page(admin.reads(redirect_path(response))).find(id="flashes")
    )


def test_saving_without_a_change_changes_nothing(admin, make_survey):
    make_survey()
    version = stored().version

    response = edit(admin.browser)

    assert response.status_code == 303, error_messages(response)
    assert stored().version == version
    assert audit_details("change_settings") == []
    flashes = page(admin.reads(redirect_path(response))).find(id="flashes")
    assert "Nothing changed." in text_of(flashes)


def test_a_draft_may_change_its_web_address(admin, make_consultation, clock):
    make_consultation(published_at=None)

    response = edit(admin.browser, slug="community-services-2027")

    assert response.status_code == 303, error_messages(response)
    assert redirect_path(response) == "/admin/consultations/community-services-2027"
    assert stored() is None
    assert stored("community-services-2027").title == TITLE
    assert audit_details("change_settings") == [
        f"Web address: /consultations/{SLUG} → /consultations/community-services-2027"
    ]


def test_a_published_consultation_keeps_its_web_address(admin, make_survey):
    make_survey()

    shown = admin.reads(settings_url())
    assert page(shown).find(attrs={"name": "slug"}) is None
    assert f"/consultations/{SLUG}" in text_of(page(shown).find("form", action=settings_url()))
    data = with_changes(shown_form(shown), {"slug": "somewhere-else", "title": "Renamed"})
    response = admin.browser.post(settings_url(), data=data)

    assert response.status_code == 303, error_messages(response)
    assert redirect_path(response) == f"/admin/consultations/{SLUG}"
    assert stored().title == "Renamed"
    assert stored("somewhere-else") is None


def test_a_published_consultation_keeps_its_survey_questions(admin, make_survey):
    make_survey()
    keys = [question.key for question in stored().questions]

    response = edit(admin.browser, summary="A new summary.")

    assert response.status_code == 303, error_messages(response)
    assert [question.key for question in stored().questions] == keys


PUBLISHED_NEEDS = [
    (
        {"officer_email": ""},
        "officer_email",
        "Enter the policy officer's email address: a published consultation must have one",
    ),
    (
        {"channels": []},
        "channels-1",
        "Select at least one way of taking part: a published consultation must offer one",
    ),
    (
        {"topics": ""},
        "topics",
        "Enter at least one theme: a published consultation that takes written evidence must"
        " have themes",
    ),
]


@pytest.mark.parametrize(("changes", "target", "message"), PUBLISHED_NEEDS)
def test_a_published_consultation_must_keep_what_publishing_needs(
    admin, make_survey, changes, target, message
):
    make_survey()
    before = stored().version

    response = edit(admin.browser, **changes)

    assert response.status_code == 422
    assert field_error(response, target.removesuffix("-1")) == message
    assert summary_links(response) == {message: target}
    assert stored().version == before
    assert audit_details("change_settings") == []


def test_a_published_survey_needs_questions(admin, make_consultation):
    """The factory's consultation offers a survey with no questions: publishing could not
    have happened through the site, but a change must not keep it so."""
    make_consultation(evidence_settings={"topics": ["Trends"]})

    response = edit(admin.browser, title="Renamed")

    assert response.status_code == 422
    assert field_error(response, "channels") == (
        "The survey has no questions yet. Stop offering it until it has some: a published"
        " consultation cannot offer an empty survey"
    )


def test_settings_of_an_unknown_consultation_are_not_found(admin):
    assert admin.reads(settings_url("no-such-thing")).status_code == 404


# Two admins at once


def test_the_second_of_two_admins_is_shown_the_saved_settings(app, admin, make_survey):
    make_survey()
    other = Admin.signs_in(app)
    mine = admin.reads(settings_url())
    theirs = other.reads(settings_url())

    first = admin.browser.post(
        settings_url(), data=with_changes(shown_form(mine), {"title": "Mine"})
    )
    second = other.browser.post(
        settings_url(), data=with_changes(shown_form(theirs), {"summary": "Theirs, lost"})
    )

    assert first.status_code == 303
    assert second.status_code == 409
    soup = page(second)
    assert text_of(soup.find(class_="notice-error")) == (
        "Someone else changed this consultation while you were editing it, so your changes"
        " are not saved. The form shows the saved settings now. Make your changes again."
    )
    assert value_shown(second, "title") == "Mine"
    assert value_shown(second, "summary") != "Theirs, lost"
    assert value_shown(second, "version") == str(stored().version)
    consultation = stored()
    assert consultation.title == "Mine"
    assert consultation.summary != "Theirs, lost"
    assert len(audit_details("change_settings")) == 1
    # Made again on the page they were shown, the change is saved.
    again = other.browser.post(
        settings_url(), data=with_changes(shown_form(second), {"summary": "Theirs, again"})
    )
    assert again.status_code == 303
    assert (stored().title, stored().summary) == ("Mine", "Theirs, again")


def unsaved_shown(response) -> dict[str, str]:
    """The list of what was typed and not saved: label -> what was typed."""
    section = page(response).find("section", attrs={"aria-labelledby": "unsaved-title"})
    assert section is not None, "no list of what was not saved"
    assert text_of(section.find("h2")) == "What you typed that is not saved"
    shown = {}
    for row in section.find("dl").find_all("div", recursive=False):
        box = row.find("textarea")
        if box is not None:
            assert box.has_attr("readonly") and not box.has_attr("name")
            assert row.find("label", attrs={"for": box["id"]}) is not None
            shown[text_of(row.find("dt"))] = box.get_text().removeprefix("\n")
        else:
            shown[text_of(row.find("dt"))] = text_of(row.find("dd"))
    return shown


def test_the_second_admin_is_shown_what_they_typed_that_is_not_saved(app, admin, make_survey):
    """Above the saved settings, each setting they typed otherwise: a long page text whole,
    to copy back; a value the form could not read as typed; nothing they left alone."""
    make_survey(officer={"name": "Sam Okafor", "email": "o@example.org", "phone": "020 7946 0000"})
    other = Admin.signs_in(app)
    mine = admin.reads(settings_url())
    theirs = other.reads(settings_url())
    long_text = "## Why we ask\n\n" + "\n\n".join(
        f"Paragraph {n}. " + "Words " * 60 for n in range(20)
    )
    typed = {
        "title": "Theirs",
        "body": long_text,
        "grace_minutes": "an hour",
        "officer_phone": "+44 20 7946 0000",  # the number saved, written another way
        "channels": ["evidence"],
        "alert_mode": "daily",
    }

    first = admin.browser.post(
        settings_url(), data=with_changes(shown_form(mine), {"title": "Mine"})
    )
    second = other.browser.post(settings_url(), data=with_changes(shown_form(theirs), typed))

    assert first.status_code == 303
    assert second.status_code == 409
    assert unsaved_shown(second) == {
        "Title": "Theirs",
        "Page text": long_text.strip(),
        "Grace period in minutes": "an hour",
        "Ways of taking part": "Send written evidence",
        "How should the policy officer hear about new responses?": (
            "A daily digest: one email at 8am listing the day's responses"
        ),
    }
    # The form itself holds the saved settings, and the list is not part of it.
    assert value_shown(second, "title") == "Mine"
    assert value_shown(second, "body") == stored().body
    assert "Theirs" not in shown_form(second).values()
    assert stored().body != long_text.strip()


def test_a_conflict_with_nothing_typed_otherwise_lists_nothing(app, admin, make_survey):
    make_survey()
    other = Admin.signs_in(app)
    mine = admin.reads(settings_url())
    theirs = other.reads(settings_url())

    admin.browser.post(settings_url(), data=with_changes(shown_form(mine), {"title": "Mine"}))
    second = other.browser.post(
        settings_url(), data=with_changes(shown_form(theirs), {"title": "Mine"})
    )

    assert second.status_code == 409
    assert page(second).find(id="unsaved-title") is None


def test_a_form_without_its_version_is_not_saved(admin, make_survey):
    make_survey()

    response = edit(admin.browser, title="Renamed", version="junk")

    assert response.status_code == 409
    assert stored().title == TITLE


def test_a_stale_version_is_refused_by_the_save_itself(app, make_survey, clock):
    """The service's own check, for a save racing another between the page's check and it."""
    from app.admin.authoring import settings as services
    from app.consultations.files import parse_consultation

    make_survey()
    consultation = stored()
    seen = consultation.version
    consultation.version = seen + 1  # another admin's save
    db.session.commit()
    data = {
        "slug": SLUG,
        "title": "Renamed",
        "summary": "S",
        "opens_at": consultation.opens_at,
        "closes_at": consultation.closes_at,
        "officer": {"name": "N", "email": "n@example.org"},
    }
    spec = parse_consultation(data, "test", LONDON, draft=True)

    with pytest.raises(services.EditConflict):
        services.save_settings(consultation, spec, seen, "someone@example.org", clock.now)

    assert stored().title == TITLE
    assert stored().version == seen + 1


# Moving the dates of an open consultation


def date_panel(response):
    """The panel asking to confirm moved dates: (its sentences, the panel)."""
    panel = page(response).find(id="date-change")
    assert panel is not None, "no panel about moving the dates"
    return [text_of(li) for li in panel.find_all("li")], panel


def start_surveys(app, clock, count: int) -> None:
    """`count` people answer the survey's first page and go no further."""
    for _ in range(count):
        Respondent(app, clock).answers_page(1, {"q_role": "Resident", "q_postcode": ""})


def test_moving_the_deadline_of_an_open_consultation_says_what_it_does_first(
    app, admin, make_survey, clock
):
    make_survey()  # open since 25 January 2027, until midday on 22 February
    start_surveys(app, clock, 3)

    response = edit(admin.browser, closes_at="2027-03-08T17:00", title="Renamed")

    assert response.status_code == 200
    sentences, panel = date_panel(response)
    assert sentences == [
        "The deadline moves from midday UK time on 22 February 2027 to 5pm UK time on"
        " 8 March 2027.",
        "3 people have a survey in progress.",
    ]
    assert text_of(panel.find("h2")) == "Check what moving the dates does"
    assert panel["aria-labelledby"] == panel.find("h2")["id"]
    # It saves every change on the form, and takes the focus as an error summary does.
    assert text_of(panel.find("button")) == "Save changes"
    assert panel["tabindex"] == "-1" and panel.has_attr("data-autofocus")
    assert value_shown(response, "title") == "Renamed"
    assert stored().closes_at == utc(2027, 2, 22, 12, 0)
    assert stored().title == TITLE
    assert audit_details("change_settings") == []

    confirmed = admin.browser.post(settings_url(), data=shown_form(response))

    assert confirmed.status_code == 303, error_messages(confirmed)
    assert stored().closes_at == utc(2027, 3, 8, 17, 0)
    assert stored().title == "Renamed"


def test_changing_the_dates_again_asks_again(admin, make_survey):
    make_survey()
    asked = edit(admin.browser, closes_at="2027-03-08T17:00")

    again = admin.browser.post(
        settings_url(), data=with_changes(shown_form(asked), {"closes_at": "2027-02-10T17:00"})
    )

    assert again.status_code == 200
    sentences, _panel = date_panel(again)
    assert sentences[0] == (
        "The deadline moves from midday UK time on 22 February 2027 to 5pm UK time on"
        " 10 February 2027."
    )
    assert sentences[1] == "Nobody has a survey in progress."
    assert stored().closes_at == utc(2027, 2, 22, 12, 0)


def test_a_deadline_moved_into_the_past_says_it_closes(admin, make_survey):
    make_survey()

    response = edit(admin.browser, closes_at="2027-01-31T17:00")

    sentences, _panel = date_panel(response)
    assert sentences[1] == "The new deadline has passed, so it closes when you save."


def test_an_opening_time_moved_to_come_says_it_stops_taking_responses(admin, make_survey):
    make_survey()  # open since 25 January 2027

    response = edit(admin.browser, opens_at="2027-02-08T09:00")

    assert response.status_code == 200
    sentences, _panel = date_panel(response)
    assert sentences == [
        "The opening time moves from midday UK time on 25 January 2027 to 9am UK time on"
        " 8 February 2027.",
        "It stops taking responses when you save, until it opens at 9am UK time on"
        " 8 February 2027.",
        "Nobody has a survey in progress.",
    ]
    assert stored().opens_at == utc(2027, 1, 25, 12, 0)


def test_a_closed_consultation_whose_deadline_moves_on_says_it_opens_again(
    admin, make_consultation
):
    make_consultation(
        channels=["evidence"],
        evidence_settings={"topics": ["Trends"]},
        opens_at=utc(2027, 1, 4, 9, 0),
        closes_at=utc(2027, 1, 29, 17, 0),  # closed since 29 January; today is 1 February
    )

    response = edit(admin.browser, closes_at="2027-02-26T17:00")

    assert response.status_code == 200
    sentences, _panel = date_panel(response)
    assert sentences == [
        "The deadline moves from 5pm UK time on 29 January 2027 to 5pm UK time on"
        " 26 February 2027.",
        "It opens again for responses when you save, until 5pm UK time on 26 February 2027.",
    ]
    assert stored().closes_at == utc(2027, 1, 29, 17, 0)

    confirmed = admin.browser.post(settings_url(), data=shown_form(response))

    assert confirmed.status_code == 303, error_messages(confirmed)
    assert stored().closes_at == utc(2027, 2, 26, 17, 0)


@pytest.mark.parametrize(
    "arrange",
    [
        {"published_at": None},  # a draft
        {"opens_at": utc(2027, 2, 10, 9, 0)},  # published, not open yet, nor once moved
        {"override": "closed"},  # published, closed by hand: moving the dates opens nothing
    ],
)
def test_moving_the_dates_of_a_consultation_not_open_saves_at_once(
    admin, make_consultation, arrange
):
    make_consultation(evidence_settings={"topics": ["Trends"]}, channels=["evidence"], **arrange)

    response = edit(admin.browser, closes_at="2027-03-08T17:00")

    assert response.status_code == 303, error_messages(response)
    assert stored().closes_at == utc(2027, 3, 8, 17, 0)


def test_moving_a_past_deadline_to_another_past_one_saves_at_once(admin, make_consultation):
    make_consultation(
        evidence_settings={"topics": ["Trends"]},
        channels=["evidence"],
        opens_at=utc(2027, 1, 4, 9, 0),
        closes_at=utc(2027, 1, 29, 17, 0),
    )

    response = edit(admin.browser, closes_at="2027-01-30T17:00")

    assert response.status_code == 303, error_messages(response)
    assert stored().closes_at == utc(2027, 1, 30, 17, 0)


def test_the_change_dates_page_says_what_moving_the_dates_did(app, admin, make_survey, clock):
    make_survey()
    start_surveys(app, clock, 1)

    response = admin.sends_form(
        f"/admin/consultations/{SLUG}/dates",
        {"opens_at": "2027-01-25T12:00", "closes_at": "2027-03-08T17:00"},
        page=f"/admin/consultations/{SLUG}/dates",
    )

    assert response.status_code == 303
    flashes = text_of(page(admin.reads("/admin/")).find(id="flashes"))
    assert flashes == (
        "Dates saved. The deadline moves from midday UK time on 22 February 2027 to 5pm UK"
        " time on 8 March 2027. 1 person has a survey in progress."
    )


def test_the_change_dates_page_says_what_its_save_did_now(app, admin, clock, make_survey):
    """Said after the save, a closing is "now", not "when you save"."""
    make_survey()

    response = admin.sends_form(
        f"/admin/consultations/{SLUG}/dates",
        {"opens_at": "2027-01-10T09:00", "closes_at": "2027-01-31T17:00"},
        page=f"/admin/consultations/{SLUG}/dates",
    )

    assert response.status_code == 303
    flashes = text_of(page(admin.reads("/admin/")).find(id="flashes"))
    assert "The new deadline has passed, so it closes now." in flashes
    assert "when you save" not in flashes


OPENS, CLOSES = utc(2027, 1, 10, 9, 0), utc(2027, 3, 1, 17, 0)
NOW = utc(2027, 2, 1, 12, 0)
AUTO = Override.AUTO


@pytest.mark.parametrize(
    ("new", "in_progress", "said"),
    [
        ((OPENS, CLOSES), 3, []),
        (
            (OPENS, utc(2027, 1, 31, 17, 0)),
            2,
            [
                "The deadline moves from 5pm UK time on 1 March 2027 to 5pm UK time on"
                " 31 January 2027.",
                "The new deadline has passed, so it closes when you save.",
                "2 people have a survey in progress.",
            ],
        ),
        (
            (OPENS, utc(2027, 3, 8, 17, 0)),
            None,
            ["The deadline moves from 5pm UK time on 1 March 2027 to 5pm UK time on 8 March 2027."],
        ),
        (
            (utc(2027, 2, 3, 9, 0), CLOSES),
            1,
            [
                "The opening time moves from 9am UK time on 10 January 2027 to 9am UK time on"
                " 3 February 2027.",
                "It stops taking responses when you save, until it opens at 9am UK time on"
                " 3 February 2027.",
                "1 person has a survey in progress.",
            ],
        ),
        (
            (OPENS, utc(2027, 7, 1, 16, 0)),
            1234,
            [
                "The deadline moves from 5pm UK time on 1 March 2027 to 5pm UK time on"
                " 1 July 2027.",
                "1,234 people have a survey in progress.",
            ],
        ),
    ],
)
def test_what_moving_the_dates_of_an_open_consultation_does_in_words(new, in_progress, said):
    assert date_change_summary((OPENS, CLOSES), new, AUTO, in_progress, LONDON, NOW) == said


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (  # closed since 31 January: a later deadline opens it again
            (OPENS, utc(2027, 1, 31, 17, 0)),
            (OPENS, CLOSES),
            [
                "The deadline moves from 5pm UK time on 31 January 2027 to 5pm UK time on"
                " 1 March 2027.",
                "It opens again for responses when you save, until 5pm UK time on 1 March 2027.",
            ],
        ),
        (  # not open until 10 February: an earlier opening time opens it now
            (utc(2027, 2, 10, 9, 0), CLOSES),
            (OPENS, CLOSES),
            [
                "The opening time moves from 9am UK time on 10 February 2027 to 9am UK time on"
                " 10 January 2027.",
                "It opens for responses when you save, until 5pm UK time on 1 March 2027.",
            ],
        ),
        (  # not open yet, nor once moved: nobody is affected
            (utc(2027, 2, 10, 9, 0), CLOSES),
            (utc(2027, 2, 12, 9, 0), CLOSES),
            [],
        ),
        (  # closed, and still closed once moved
            (OPENS, utc(2027, 1, 20, 17, 0)),
            (OPENS, utc(2027, 1, 31, 17, 0)),
            [],
        ),
    ],
)
def test_what_moving_the_dates_of_a_consultation_not_open_does_in_words(old, new, said):
    assert date_change_summary(old, new, AUTO, None, LONDON, NOW) == said


def test_moving_the_dates_of_one_closed_by_hand_opens_nothing():
    closed_since = (OPENS, utc(2027, 1, 31, 17, 0))

    assert date_change_summary(closed_since, (OPENS, CLOSES), Override.CLOSED, 4, LONDON, NOW) == []


def test_moving_the_dates_of_one_opened_by_hand_keeps_it_open():
    said = date_change_summary(
        (OPENS, CLOSES), (OPENS, utc(2027, 1, 31, 17, 0)), Override.OPEN, 0, LONDON, NOW
    )

    assert said == [
        "The deadline moves from 5pm UK time on 1 March 2027 to 5pm UK time on 31 January 2027.",
        "Nobody has a survey in progress.",
    ]


# The page text's preview and the checklist, with and without htmx


def test_preview_shows_the_page_text_and_keeps_everything_without_saving(admin):
    body = "# Why\n\nWe want **your** view.\n\n<script>alert('x')</script>"

    response = create(admin.browser, body=body, action="preview")

    assert response.status_code == 200
    preview = page(response).find("section", class_="preview")
    assert preview.find("h2", string="Why") is not None
    assert preview.find("strong").get_text() == "your"
    assert preview.find("script") is None
    assert "<script>alert('x')</script>" in text_of(preview)  # shown as text, escaped
    assert value_shown(response, "body") == body
    for name, typed in NEW.items():
        if name != "body":
            assert value_shown(response, name) == typed, name
    assert db.session.scalar(select(Consultation.id)) is None
    assert audit_count() == 0


def test_preview_of_an_edit_saves_nothing(admin, make_survey):
    make_survey()

    response = edit(admin.browser, body="*New* text", action="preview")

    assert response.status_code == 200
    assert page(response).find("section", class_="preview").find("em").get_text() == "New"
    assert stored().body == ""


def check(admin, url: str, data: dict, htmx: bool = True):
    token = csrf_token(admin.browser, NEW_URL)
    headers = {"HX-Request": "true"} if htmx else {}
    return admin.browser.post(
        url, data=with_changes(MultiDict({"csrf_token": token}), data), headers=headers
    )


def test_htmx_gets_the_preview_and_the_checklist_of_what_is_typed(admin):
    typed = {**NEW, "officer_email": "", "topics": "", "body": "Some *text*"}

    response = check(admin, f"{NEW_URL}/check", typed)

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert "<html" not in html and "<form" not in html
    fragment = page(response)
    assert fragment.find("section", class_="preview").find("em").get_text() == "text"
    items = {text_of(a): a["href"] for a in fragment.find(id="checklist").find_all("a")}
    assert items == {
        "Add the policy officer's email address": "#officer_email",
        "Add at least one theme for written evidence": "#topics",
    }
    assert db.session.scalar(select(Consultation.id)) is None


def test_the_checklist_judges_the_deadline_and_suggests_the_web_address(admin):
    typed = {**NEW, "closes_at": "2027-01-31T17:00", "opens_at": "2027-01-01T09:00"}

    fragment = page(check(admin, f"{NEW_URL}/check", typed))

    items = [text_of(li) for li in fragment.find(id="checklist").find_all("li")]
    assert items == ["Set a deadline in the future"]
    # The suggestion is the web address field's hint, which htmx swaps in by its id.
    hint = fragment.find(id="slug-hint")
    assert hint["hx-swap-oob"] == "true"
    assert hint.find("code").get_text() == "/consultations/local-services-local-providers"
    assert "If you leave it empty, it will be /consultations/" in text_of(hint)
    assert "local-services-local-providers" not in text_of(fragment.find(id="checklist"))


def test_without_javascript_the_suggested_web_address_is_the_fields_hint(admin):
    response = create(admin.browser, slug="", action="preview")

    soup = page(response)
    hint = text_of(soup.find(id="slug-hint"))
    assert "If you leave it empty, it will be /consultations/local-services-local-providers" in hint
    assert soup.find(id="slug")["aria-describedby"] == "slug-hint"
    assert soup.find(id="slug-hint").has_attr("hx-swap-oob") is False
    assert "local-services-local-providers" not in text_of(soup.find(id="settings-check"))


def test_a_web_address_typed_is_not_suggested_another(admin):
    response = create(admin.browser, slug="my-own", action="preview")

    assert "If you leave it empty, it is made from the title." in text_of(
        page(response).find(id="slug-hint")
    )


def test_the_check_of_a_complete_draft_says_it_is_ready(admin):
    fragment = page(check(admin, f"{NEW_URL}/check", NEW))

    assert text_of(fragment.find(id="checklist")) == "Ready to publish"


def test_the_check_of_a_published_consultation_has_no_checklist(admin, make_survey):
    make_survey()

    response = check(admin, f"{settings_url()}/check", {"body": "Hello"})

    assert response.status_code == 200
    assert page(response).find(id="checklist") is None
    assert text_of(page(response).find("section", class_="preview")) == (
        "Preview of the page text Hello"
    )


def test_without_htmx_the_check_is_the_whole_page(admin):
    response = check(admin, f"{NEW_URL}/check", {**NEW, "body": "Plain"}, htmx=False)

    assert response.status_code == 200
    assert text_of(page(response).find("h1")) == "Create a consultation"
    assert value_shown(response, "title") == NEW["title"]


def test_the_page_asks_htmx_for_the_check_as_the_admin_types(admin, make_consultation):
    make_consultation(published_at=None)

    soup = page(admin.reads(settings_url()))

    region = soup.find(id="settings-check")
    assert region["hx-post"] == f"{settings_url()}/check"
    assert "from:#body" in region["hx-trigger"]
    preview = soup.find("button", attrs={"name": "action", "value": "preview"})
    assert preview["hx-post"] == f"{settings_url()}/check"
    assert preview["hx-target"] == "#settings-check"
    # Without htmx the page comes back whole: the fragment takes the browser to the preview.
    assert preview["formaction"] == f"{settings_url()}#settings-check"
    assert soup.find(id="settings-check") is not None


def hint_of(soup, field_id: str) -> str:
    return text_of(soup.find(id=f"{field_id}-hint"))


def test_what_publishing_needs_is_said_the_same_way_in_a_draft(admin, make_consultation):
    make_consultation(published_at=None)

    soup = page(admin.reads(settings_url()))

    for field_id in ("officer_email", "channels", "topics"):
        assert "Needed before you can publish" in hint_of(soup, field_id), field_id
    assert text_of(soup.find("label", attrs={"for": "officer_email"})) == "Email address"
    assert text_of(soup.find("label", attrs={"for": "officer_phone"})) == (
        "Telephone number (optional)"
    )
    assert "A new consultation accepts all four." in hint_of(soup, "attachment_types")


def test_a_published_consultation_is_not_told_what_publishing_needs(admin, make_survey):
    make_survey()

    soup = page(admin.reads(settings_url()))

    for field_id in ("officer_email", "channels", "topics"):
        assert "publish" not in hint_of(soup, field_id), field_id


def test_email_alerts_speak_of_responses_as_the_rest_of_the_form_does(admin):
    soup = page(admin.reads(NEW_URL))

    choices = [text_of(label) for label in soup.select("label[for^=alert_mode-]")]
    assert choices == [
        "An email for each response",
        "A daily digest: one email at 8am listing the day's responses",
    ]
    assert "submission" not in text_of(soup.find("main"))


# Who may


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", NEW_URL),
        ("POST", NEW_URL),
        ("POST", f"{NEW_URL}/check"),
        ("GET", settings_url()),
        ("POST", settings_url()),
        ("POST", f"{settings_url()}/check"),
    ],
)
def test_officers_cannot_create_or_change_consultations(app, make_survey, method, path):
    make_survey()
    officer = Officer.signs_in(app)
    token = csrf_token(officer.browser, "/admin/")

    response = officer.browser.open(path, method=method, data={"csrf_token": token, **NEW})

    assert response.status_code == 403
    assert stored().title == TITLE
    assert db.session.scalar(select(Consultation.id).filter(Consultation.slug != SLUG)) is None


@pytest.mark.parametrize("path", [NEW_URL, settings_url()])
def test_someone_signed_out_is_sent_to_sign_in(client, make_survey, path):
    make_survey()

    response = client.get(path)

    assert response.status_code == 302
    assert redirect_path(response) == "/admin/login"


def test_no_type_of_document_means_taking_no_documents(admin):
    response = create(admin.browser, attachment_types=[], max_files="0")

    assert response.status_code == 303, error_messages(response)
    rules = db.session.scalars(select(Consultation)).one().evidence_settings["attachments"]
    assert (rules["types"], rules["max_files"]) == ([], 0)


def test_documents_with_no_type_to_take_them_in_are_refused(admin):
    """Three documents allowed in no format at all: a form nobody could use."""
    response = create(admin.browser, attachment_types=[], max_files="3")

    assert response.status_code == 422
    assert db.session.scalars(select(Consultation)).all() == []
    assert "at least one type of document" in " ".join(error_messages(response))


def test_a_time_in_the_repeated_autumn_hour_is_kept_when_left_as_shown(admin, make_survey):
    """The second 1:30am of 31 October 2027 (GMT, from a file) shows as 01:30, which read
    back alone would be the first (BST); left as shown, it stays the second."""
    second_half_past_one = utc(2027, 10, 31, 1, 30)
    make_survey(closes_at=second_half_past_one)

    response = edit(admin.browser, title="Renamed")

    assert response.status_code == 303, error_messages(response)
    assert (stored().title, stored().closes_at) == ("Renamed", second_half_past_one)
    assert "Deadline" not in audit_details("change_settings")[0]
