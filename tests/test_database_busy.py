"""A database that cannot store anything for a moment: locked, read-only or unreachable.

Issue 16, item 6. The database is made so for real while a request runs: on SQLite another
connection holds `BEGIN EXCLUSIVE` (and the app waits DATABASE_BUSY_SECONDS, set short
here), or the app's connections are `PRAGMA query_only`; on PostgreSQL another connection
holds an EXCLUSIVE lock on every table (and the app's lock_timeout is short), or the
database is made `default_transaction_read_only`. Nothing here waits on a clock: the lock
is held by the other connection for the whole request, however long it takes.

Every form a respondent sends, and admin forms, is sent complete and valid while the
database cannot store it: the answer is 503 with Retry-After, the form again with an
error summary saying nothing was sent, every value that was sent back on the page, and
nothing at all stored. Sent again from that page once the database is free, it is stored
exactly once. (Checking survey answers and cancelling a call have no fields to refuse:
they come back as a page with the same error summary and a button sending everything
again; see app/web/errors.py. That page never writes a password into itself, and asks for
it again; with documents, which it cannot hold, it links back to the form instead.)
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask, current_app
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, StringField

from app import config, create_app
from app.admin.users.services import password_token
from app.extensions import db
from app.models import SUBMITTED, AdminUser, Booking, Consultation, OutboxEmail, Response, Tag
from app.web.errors import BUSY, READ_ONLY, UNREACHABLE, database_trouble
from app.web.forms import Form
from bench.servers import free_port
from tests.support.clients import new_browser
from tests.support.contact import MESSAGE_URL, VALID_MESSAGE, call_url, choose, publish
from tests.support.database_trouble import Trouble
from tests.support.pages import page, text_of

SLUG = "test-consultation"
SURVEY = f"/consultations/{SLUG}/survey"
EVIDENCE = f"/consultations/{SLUG}/evidence"
NOT_SENT = "Your answers were not sent because the service is busy. Try again in a moment."
ATTACH_AGAIN = "You need to attach your documents again."
NOT_SAVED = "Your changes were not saved because the service is busy. Try again in a moment."
BUSY_TITLE = "Sorry, the service is busy"
CONTINUE = ("action", "continue")

PAGE_1 = {"q_role": "Resident", "q_postcode": "AB1 2CD"}
PAGE_4 = {
    "q_confidence": "2",
    "q_story": "We buy too much from too few suppliers.\nSmall groups are paid last.",
    "q_contact_email": "ada.work@example.org",
}
DETAILS = {
    "respond_as": "organisation",
    "organisation": "Riverside Tenants",
    "name": "Ada Jones",
    "email": "ada@example.org",
    "publish": "named",
    "consent": "y",
}
EVIDENCE_FIELDS = {
    "name": "Ada Jones",
    "email": "ada@example.org",
    "respondent_type": "Community organisation",
    "organisation": "Northside Food Bank",
    "topics": ["Trends", "Local successes"],
    "evidence": "Payment arrives 90 days after invoicing.\n\nWe borrow to pay staff.",
    "publish": "anonymous",
    "consent": "y",
}
DOCUMENT = ("minutes.txt", b"Minutes of the March meeting: payment terms discussed.\n")
TUESDAY_10 = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
WEDNESDAY_14 = datetime(2027, 2, 3, 14, 0, tzinfo=UTC)


# --- the database, made unable to store anything --------------------------------------------


def unreachable_url(url: str, tmp_path) -> str:
    """A database of the same kind that cannot be reached: a file in a folder that does
    not exist, or a port nothing listens on."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'consultations.db'}"
    return f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/consultations"


@pytest.fixture
def app_config(app_config: dict, database_url: str) -> dict:
    """The test app gives up on a held lock after a fifth of a second, not 5 seconds."""
    return {**app_config, "DATABASE_BUSY_SECONDS": 0.2}


@pytest.fixture
def trouble(app: Flask, database_url: str) -> Trouble:
    return Trouble(database_url)


def everything_stored() -> dict[str, list[str]]:
    """Every row of every table, and every document on disk, to show that nothing at all
    was stored."""
    db.session.rollback()
    stored = {
        table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
        for table in db.metadata.sorted_tables
    }
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    stored["documents on disk"] = sorted(p.name for p in uploads.rglob("*") if p.is_file())
    return stored


# --- a browser ------------------------------------------------------------------------------


def the_form(response, action: str):
    """The form on the page that posts to `action`."""
    form = page(response).find("form", attrs={"method": "post", "action": action})
    assert form is not None, f"no form posting to {action}: {text_of(page(response))[:500]}"
    return form


def fields_of(response, action: str) -> MultiDict:
    """What a browser sends from the form posting to `action`, as the page shows it (the
    button pressed and any files are added by `send`)."""
    sent: MultiDict = MultiDict()
    for control in the_form(response, action).find_all(["input", "textarea", "select"]):
        name = control.get("name")
        if not name or control.has_attr("disabled"):
            continue
        if control.name == "textarea":
            sent.add(name, control.get_text())
        elif control.name == "select":
            options = control.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")] or options[:1]
            for option in chosen:
                sent.add(name, option.get("value", option.get_text()))
        elif control.get("type", "text") in ("checkbox", "radio"):
            if control.has_attr("checked"):
                sent.add(name, control.get("value", "on"))
        elif control.get("type", "text") not in ("submit", "button", "reset", "image", "file"):
            sent.add(name, control.get("value", ""))
    return sent


@dataclass
class Sending:
    """A form filled in: where it goes, everything it sends, and the button pressed."""

    url: str
    fields: MultiDict
    button: tuple[str, str] | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)


def fill(client, clock, url: str, typed: dict, button=None, files=()) -> Sending:
    """Open the form at `url`, type `typed` into it, and take as long as a person would."""
    shown = client.get(url)
    assert shown.status_code == 200, (url, shown.status_code)
    fields = fields_of(shown, url)
    for name, value in typed.items():
        fields.setlist(name, value if isinstance(value, list) else [value])
    clock.advance(seconds=5)  # a person takes longer than SUBMIT_MIN_SECONDS
    return Sending(url, fields, button, list(files))


def send(client, sending: Sending, **kwargs):
    """Send the form as a browser does: its fields, the button pressed, the files chosen."""
    data = MultiDict(sending.fields)
    if sending.button:
        data.add(*sending.button)
    for name, content in sending.files:
        data.add("documents", (io.BytesIO(content), name))
    return client.post(sending.url, data=data, **kwargs)


def sent_ok(response) -> None:
    assert response.status_code == 303, (response.status_code, text_of(page(response))[:500])


def answered(client, clock, url: str, typed: dict, button=None) -> None:
    sent_ok(send(client, fill(client, clock, url, typed, button)))


def summary_of(response) -> str:
    summary = page(response).find(class_="error-summary")
    assert summary is not None, f"no error summary: {text_of(page(response))[:500]}"
    return text_of(summary)


def rows(model, **where) -> list:
    db.session.rollback()
    return list(db.session.scalars(select(model).filter_by(**where).order_by(model.id)))


def the_one(model, **where):
    found = rows(model, **where)
    assert len(found) == 1, f"expected one {model.__name__} {where}, found {len(found)}"
    return found[0]


# --- every form, filled in ------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A form: how to get to it filled in, what the summary says, and, once sent again
    with the database free, what must be stored exactly once."""

    name: str
    fill: Callable[[pytest.FixtureRequest], Sending]
    stored_once: Callable[[], None]
    message: str = NOT_SENT

    def __str__(self) -> str:
        return self.name


def _respondent(request) -> tuple:
    return request.getfixturevalue("client"), request.getfixturevalue("clock")


def _survey(request) -> tuple:
    request.getfixturevalue("make_survey")()
    return _respondent(request)


def _survey_up_to(request, *steps: str) -> tuple:
    client, clock = _survey(request)
    if "page 1" in steps:
        answered(client, clock, f"{SURVEY}/pages/1", PAGE_1, CONTINUE)
    if "page 4" in steps:
        answered(client, clock, f"{SURVEY}/pages/4", PAGE_4, CONTINUE)
    if "details" in steps:
        answered(client, clock, f"{SURVEY}/details", DETAILS)
    return client, clock


def _the_draft() -> Response:
    return the_one(Response, channel="survey")


def _first_page(request) -> Sending:
    client, clock = _survey(request)
    return fill(client, clock, f"{SURVEY}/pages/1", PAGE_1, CONTINUE)


def _first_page_stored() -> None:
    assert _the_draft().answers == {"role": "Resident", "postcode": "AB1 2CD"}


def _last_page(request) -> Sending:
    client, clock = _survey_up_to(request, "page 1")
    return fill(client, clock, f"{SURVEY}/pages/4", PAGE_4, CONTINUE)


def _last_page_stored() -> None:
    answers = _the_draft().answers
    assert answers["story"] == PAGE_4["q_story"]
    assert answers["contact_email"] == PAGE_4["q_contact_email"]


def _details(request) -> Sending:
    client, clock = _survey_up_to(request, "page 1", "page 4")
    return fill(client, clock, f"{SURVEY}/details", DETAILS)


def _details_stored() -> None:
    draft = _the_draft()
    assert (draft.name, draft.organisation) == ("Ada Jones", "Riverside Tenants")


def _check_answers(request) -> Sending:
    client, clock = _survey_up_to(request, "page 1", "page 4", "details")
    return fill(client, clock, f"{SURVEY}/check", {})


def _survey_sent() -> None:
    assert the_one(Response, channel="survey").status == SUBMITTED


def _email_a_link(request) -> Sending:
    client, clock = _survey_up_to(request, "page 1")
    return fill(client, clock, f"{SURVEY}/save", {"email": "ada@example.org"})


def _link_emailed() -> None:
    the_one(OutboxEmail, to_addr="ada@example.org")


def _evidence(request) -> Sending:
    client, clock = _survey(request)
    return fill(client, clock, EVIDENCE, EVIDENCE_FIELDS, files=[DOCUMENT])


def _evidence_stored() -> None:
    evidence = the_one(Response, channel="evidence")
    assert [a.original_name for a in evidence.attachments] == [DOCUMENT[0]]


def _times(request) -> list:
    consultation = request.getfixturevalue("make_consultation")()
    return publish(consultation, TUESDAY_10, WEDNESDAY_14)


def _message(request) -> Sending:
    _times(request)
    client, clock = _respondent(request)
    return fill(client, clock, MESSAGE_URL, VALID_MESSAGE)


def _message_stored() -> None:
    assert the_one(Response, channel="contact").subject == VALID_MESSAGE["subject"]


def _call_page(request) -> tuple:
    """A message asking for a call sent; the page to choose its time."""
    slots = _times(request)
    client, clock = _respondent(request)
    asked = send(client, fill(client, clock, MESSAGE_URL, VALID_MESSAGE))
    return client, clock, slots, call_url(asked)


def _booking(request) -> Sending:
    client, clock, slots, url = _call_page(request)
    return fill(client, clock, url, {"slot": str(slots[0].id)})


def _booked() -> None:
    assert the_one(Booking).starts_at == TUESDAY_10


def _booked_call(request) -> tuple:
    client, clock, slots, url = _call_page(request)
    sent_ok(choose(client, url, slots[0]))
    return client, clock, slots, url


def _moving(request) -> Sending:
    client, clock, slots, url = _booked_call(request)
    return fill(client, clock, f"{url}/change", {"slot": str(slots[1].id)})


def _moved() -> None:
    assert the_one(Booking, status="booked").starts_at == WEDNESDAY_14


def _cancelling(request) -> Sending:
    client, clock, _slots, url = _booked_call(request)
    return fill(client, clock, f"{url}/cancel", {})


def _cancelled() -> None:
    assert the_one(Booking).status == "cancelled"


def _admin(request) -> tuple:
    request.getfixturevalue("make_consultation")()
    return request.getfixturevalue("admin"), request.getfixturevalue("clock")


def _alerts(request) -> Sending:
    admin, clock = _admin(request)
    return fill(admin, clock, f"/admin/consultations/{SLUG}/alerts", {"alert_mode": "daily"})


def _alerts_saved() -> None:
    assert the_one(Consultation).alert_mode == "daily"


def _new_tag(request) -> Sending:
    admin, clock = _admin(request)
    typed = {"name": "Payment terms", "description": "Paid late, or in ways that cost them"}
    return fill(admin, clock, f"/admin/consultations/{SLUG}/tags", typed)


def _tag_added() -> None:
    assert the_one(Tag).name == "Payment terms"


FORMS = [
    Case("survey first page", _first_page, _first_page_stored),
    Case("survey later page", _last_page, _last_page_stored),
    Case("survey details", _details, _details_stored),
    Case("survey check answers", _check_answers, _survey_sent),
    Case("survey email me a link", _email_a_link, _link_emailed),
    Case("evidence with a document", _evidence, _evidence_stored, f"{NOT_SENT} {ATTACH_AGAIN}"),
    Case("message", _message, _message_stored),
    Case("booking a call", _booking, _booked),
    Case("moving a call", _moving, _moved),
    Case("cancelling a call", _cancelling, _cancelled),
    Case("admin alerts", _alerts, _alerts_saved, NOT_SAVED),
    Case("admin new tag", _new_tag, _tag_added, NOT_SAVED),
]


# --- sending while the database cannot store it ---------------------------------------------


@pytest.mark.parametrize("how", ["locked", "read_only"])
@pytest.mark.parametrize("case", FORMS, ids=str)
def test_a_form_sent_while_the_database_cannot_store_it_comes_back_whole_and_stores_nothing(
    request, case: Case, how: str, trouble: Trouble
):
    sending = case.fill(request)
    client = request.getfixturevalue("admin" if case.message == NOT_SAVED else "client")
    before = everything_stored()

    with getattr(trouble, how)():
        refused = send(client, sending)

    assert refused.status_code == 503, (refused.status_code, text_of(page(refused))[:500])
    assert refused.headers["Retry-After"] == "5"
    assert case.message in summary_of(refused)
    # Everything that was sent is on the page again, ready to send as it was.
    shown = fields_of(refused, sending.url)
    for name in sending.fields:
        if name != "csrf_token":  # a new one, for the same session
            assert shown.getlist(name) == sending.fields.getlist(name), name
    assert everything_stored() == before

    sent_again = send(client, Sending(sending.url, shown, sending.button, sending.files))

    sent_ok(sent_again)
    case.stored_once()


def test_a_page_shown_again_stores_nothing_even_if_the_lock_goes_meanwhile(request, trouble):
    """Checking survey answers has no fields to refuse: its view, run again to show the
    page, would send the response. Here the lock goes as soon as the first attempt
    fails, so that sending would work: the run again is still stopped before it writes,
    so that "not sent" stays true, and sending again stores the response once."""
    sending = _check_answers(request)
    client = request.getfixturevalue("client")
    before = everything_stored()

    with trouble.locked() as let_go:

        def first_attempt_failed(_context) -> None:
            let_go()

        event.listen(db.engine, "handle_error", first_attempt_failed)
        try:
            refused = send(client, sending)
        finally:
            event.remove(db.engine, "handle_error", first_attempt_failed)

    assert refused.status_code == 503
    assert NOT_SENT in summary_of(refused)
    assert everything_stored() == before
    sent_ok(send(client, Sending(sending.url, fields_of(refused, sending.url))))
    _survey_sent()


def test_a_survey_page_sent_with_htmx_comes_back_in_place(client, clock, make_survey, trouble):
    make_survey()
    sending = fill(client, clock, f"{SURVEY}/pages/1", PAGE_1, CONTINUE)

    with trouble.locked():
        refused = send(client, sending, headers={"HX-Request": "true"})

    assert refused.status_code == 503
    assert "<html" not in refused.get_data(as_text=True)  # the step only, for htmx to swap
    assert NOT_SENT in summary_of(refused)
    assert fields_of(refused, sending.url).getlist("q_postcode") == ["AB1 2CD"]
    assert rows(Response) == []


def test_while_a_write_waits_for_a_lock_pages_are_still_read(client, make_survey, trouble):
    make_survey()

    with trouble.locked():
        shown = client.get(f"{SURVEY}/pages/1")

    assert shown.status_code == 200


# --- a database that cannot be reached ------------------------------------------------------


@pytest.fixture
def unreachable(app_config: dict, database_url: str, tmp_path) -> Iterator[Flask]:
    """An app whose database cannot be reached. Its forms carry no CSRF token, since no
    page with one can be shown; the POST below is a form sent before the database went."""
    url = unreachable_url(database_url, tmp_path)
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        yield app


def test_a_page_that_cannot_reach_the_database_says_the_service_is_busy(unreachable):
    shown = new_browser(unreachable).get(f"/consultations/{SLUG}")

    assert shown.status_code == 503
    assert shown.headers["Retry-After"] == "5"
    assert text_of(page(shown).find("h1")) == BUSY_TITLE
    assert "Try again in a moment." in text_of(page(shown))
    assert "problem with the service" not in text_of(page(shown))


def test_a_form_sent_when_the_database_cannot_be_reached_is_kept_to_send_again(unreachable):
    sent = MultiDict({**VALID_MESSAGE, "website": "", "loaded": "x", "token": "t" * 32})

    refused = new_browser(unreachable).post(MESSAGE_URL, data=sent)

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert NOT_SENT in summary_of(refused)
    assert fields_of(refused, MESSAGE_URL) == sent


def test_documents_that_cannot_be_stored_are_not_offered_to_send_again_without_them(
    unreachable,
):
    """A page cannot hold a chosen file: a button sending the rest again would store the
    evidence without its documents. The page says so and links back to the form."""
    sent = MultiDict({**EVIDENCE_FIELDS, "website": "", "loaded": "x", "token": "t" * 32})
    sent.add("documents", (io.BytesIO(DOCUMENT[1]), DOCUMENT[0]))

    refused = new_browser(unreachable).post(EVIDENCE, data=sent)

    assert refused.status_code == 503
    assert f"{NOT_SENT} {ATTACH_AGAIN}" in summary_of(refused)
    assert page(refused).find("form", attrs={"method": "post"}) is None
    assert "Your documents were not sent" in text_of(page(refused))
    back = page(refused).find("a", string="go back to the form")
    assert back is not None and back["href"] == EVIDENCE


PASSWORD = "correct horse battery staple"


def test_a_password_sent_when_the_database_cannot_be_reached_is_typed_again_never_kept(
    unreachable,
):
    invited = AdminUser(id=1, session_token="t" * 32)  # no database to store it in
    url = f"/admin/set-password/{password_token(invited)}"

    refused = new_browser(unreachable).post(url, data={"password": PASSWORD, "confirm": PASSWORD})

    assert refused.status_code == 503
    assert NOT_SAVED in summary_of(refused)
    assert PASSWORD not in refused.get_data(as_text=True)
    asked = the_form(refused, url).find_all("input", attrs={"type": "password"})
    assert [(box["name"], box.get("value")) for box in asked] == [
        ("password", None),
        ("confirm", None),
    ]
    assert "Type the password again" in text_of(the_form(refused, url))


def test_any_field_a_form_declares_as_a_password_is_typed_again_never_kept(unreachable):
    class ChangePassword(Form):
        email = StringField("Email address")
        current = PasswordField("Your current password")

    def change():
        form = ChangePassword()
        db.session.execute(text("SELECT 1"))  # the database cannot be reached
        return str(form.validate())

    unreachable.add_url_rule("/change", "change", change, methods=["GET", "POST"])
    sent = {"email": "ada@example.org", "current": PASSWORD}

    refused = new_browser(unreachable).post("/change", data=sent)

    assert refused.status_code == 503
    assert PASSWORD not in refused.get_data(as_text=True)
    assert fields_of(refused, "/change") == MultiDict({"email": "ada@example.org", "current": ""})
    box = the_form(refused, "/change").find("input", attrs={"name": "current"})
    assert box["type"] == "password"
    assert text_of(page(refused).find("label", attrs={"for": box["id"]})) == (
        "Your current password"
    )


def test_sign_in_when_the_database_cannot_be_reached_says_you_could_not_be_signed_in(
    unreachable,
):
    refused = new_browser(unreachable).post(
        "/admin/login", data={"email": "ada@example.org", "password": PASSWORD}
    )

    assert refused.status_code == 503
    assert summary_of(refused) == (
        "There is a problem You could not be signed in because the service is busy."
        " Try again in a moment."
    )
    assert PASSWORD not in refused.get_data(as_text=True)


# --- telling the database's trouble from a fault --------------------------------------------


def test_any_other_database_error_is_still_the_500_page(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answered as in production, not raised
    app.add_url_rule(
        "/broken", "broken", lambda: str(db.session.scalar(text("SELECT * FROM no_such_table")))
    )

    shown = new_browser(app).get("/broken")

    assert shown.status_code == 500
    assert "Retry-After" not in shown.headers
    assert text_of(page(shown).find("h1")) == "Sorry, there is a problem with the service"


def caught(statement: str) -> DBAPIError:
    """The error running `statement` (and committing) in the test's own session."""
    with pytest.raises(DBAPIError) as raised:
        db.session.execute(text(statement))
        db.session.commit()
    db.session.rollback()
    return raised.value


WRITE = "UPDATE consultation SET title = title"


def test_a_lock_held_too_long_is_busy(make_consultation, trouble):
    make_consultation()
    with trouble.locked():
        assert database_trouble(caught(WRITE)) == BUSY


def test_a_read_only_database_is_read_only(make_consultation, trouble):
    make_consultation()
    with trouble.read_only():
        assert database_trouble(caught(WRITE)) == READ_ONLY


def test_a_database_that_cannot_be_reached_is_unreachable(database_url, tmp_path):
    engine = create_engine(unreachable_url(database_url, tmp_path))
    with pytest.raises(DBAPIError) as raised:
        engine.connect()
    assert database_trouble(raised.value) == UNREACHABLE


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM no_such_table",
        "INSERT INTO consultation (id) VALUES (1)",  # required columns left out
        "SELECT 1 +",
    ],
)
def test_a_mistake_in_the_site_is_no_trouble_of_the_database_and_stays_a_500(app, statement):
    assert database_trouble(caught(statement)) is None


def test_the_database_waits_the_configured_time_for_a_lock_five_seconds_unless_set(
    app, database_url
):
    with db.engine.connect() as connection:
        if database_url.startswith("sqlite"):
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200
        else:
            assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "200ms"
    assert config.from_environment()["DATABASE_BUSY_SECONDS"] == 5


def test_the_lock_timeout_leaves_the_options_in_the_database_url_alone(app_config, database_url):
    """PostgreSQL's lock_timeout is set on each new connection, not as a startup `options`
    parameter that would replace those of DATABASE_URL (and that PgBouncer refuses)."""
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's connection options")
    url = f"{database_url}?options=-c%20statement_timeout%3D4321"
    made = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})
    with made.app_context():
        for _ in range(2):  # a new connection, then the same one again from the pool
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "200ms"
                assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "4321ms"
        db.engine.dispose()
