"""Nothing anyone types becomes markup in an email (issue 16, item 2).

The officer's call emails once put their subject, rendered from a .txt template and so not
escaped, inside <title>: a respondent named `</title><a href=…>` put a link and a remote
image into staff email. The class of fault is "anything typed, in any HTML email", so this
module makes every kind of email the site sends, through its own forms and services, for
two consultations: one where every value a person types (admins in the consultation file
and the invitation, respondents in each channel, anyone asking for a survey link) is plain,
and one where every such value is an attack. Each HTML part is parsed with html5lib, as a
mail client would parse it, and proves that:

- the hostile email has exactly the plain one's elements, each with the same attributes,
  so no element or attribute came from what was typed (no link, image or script, no
  attribute naming evil.example or an event handler);
- each typed value is shown as text, in full, wherever its plain twin is, so the test
  cannot pass because a value never reached the email;
- the <title> is the email's subject, as text.

Values that reach a header (a title, a name) also hold an RFC 2047 encoded word that decodes
to a line break, a header and a body of its own, which Python before 3.11.10 would write out
as it decoded it; each delivered email must have exactly the plain one's headers, and its
subject as the outbox row has it.

Every typed value starts with a marker naming its field (qq + the field's name), so a
failure says which field leaked. The checks run on the rows in the outbox and again on the
HTML parts a real SMTP server received. Time moves only through the `clock` fixture.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.admin import consultation_settings as admin_services
from app.admin.users import services as user_services
from app.calls import booking as contact_services
from app.evidence.files import safe_name
from app.extensions import db
from app.intake import links
from app.intake.changes import ChangeSending, Outcome, apply_change
from app.intake.submissions import new_token
from app.mail.outbox import SENT
from app.models import BOOKED, OFFICER, Booking, Consultation, OutboxEmail, Response, Slot
from app.privacy.withdrawal import withdraw
from app.respondents import services as respondent_services
from app.survey import services as survey_services
from app.survey.forms import OTHER_PREFIX
from tests.support.contact import call_url, choose, deliver, form_fields, publish, send_message
from tests.support.factories import ADMIN_EMAIL
from tests.support.pages import hidden_fields
from tests.support.sample_files import Upload, multipart, txt
from tests.support.smtp_server import Received

SITE_URL = "https://haveyoursay.example.gov.uk"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"
PLAIN, HOSTILE = "plain", "hostile"

# What someone hoping to plant a fake sign-in link in staff email would type: short enough,
# marker and all, for the shortest field it goes in (a message's subject, 150 characters).
ATTACK = (
    '</title><a href="//evil.example/sso">Sign in again</a>'
    '<img src="//evil.example/x.png" onerror="alert(1)"><script>alert(1)</script>"\'&'
)
# What someone hoping to add a header or a body of their own would type where it reaches a
# header: an encoded word for a line break, "X-Injected: 1", a blank line and a body.
ENCODED_ATTACK = " =?utf-8?q?=0D=0AX-Injected=3A1=0D=0A=0D=0AOwned?= "
# The typed values that reach a header: a subject, or a display name. With both attacks
# they still fit their fields (200 characters).
HEADER_FIELDS = {"title", "officer_name", "survey_name", "evidence_name", "contact_name"}

# Every value a person types that could reach an email.
TEXT_FIELDS = [
    # An admin, in the consultation file.
    "title",
    "summary",
    "body",
    "officer_name",
    "page_title",
    "hint",
    "prompt_single",
    "option_single",
    "prompt_multi",
    "option_multi",
    "prompt_text",
    "prompt_longtext",
    "prompt_email",
    "prompt_yesno",
    "prompt_scale",
    "scale_min",
    "scale_max",
    "prompt_number",
    "respondent_type",
    "topic_one",
    "topic_two",
    # A respondent, in the survey.
    "answer_other",
    "answer_text",
    "answer_longtext",
    "survey_name",
    "survey_organisation",
    # A respondent, in the evidence form.
    "evidence_name",
    "evidence_organisation",
    "evidence_text",
    # A respondent, in the message form.
    "contact_name",
    "contact_organisation",
    "contact_subject",
    "contact_message",
    # The admin who invites someone (their email address in practice; any text here).
    "inviter",
]
# Addresses pass an email validator, so only what an address may hold: ' and &.
EMAIL_FIELDS = [
    "officer_email",
    "answer_email",
    "survey_email",
    "resume_email",
    "evidence_email",
    "contact_email",
    "invitee_email",
]
FILENAME = "filename"  # a document's name, as the respondent's computer has it
FIELDS = [*TEXT_FIELDS, *EMAIL_FIELDS, FILENAME]
# Typed, and hostile all the same, but no email's HTML shows them today (the address a
# survey link is sent to is only in the To header).
NOT_IN_EMAILS = {"summary", "body", "page_title", "hint", "resume_email"}
# Tag names and notes, typed in the admin area, are in no email template at all.

MARKER = re.compile(r"qq[a-z]+")
# Elements no email of ours has; any of them would be someone's markup.
FORBIDDEN = {"script", "img", "iframe", "frame", "object", "embed", "form", "input", "base"}
FORBIDDEN |= {"style", "link", "svg", "math", "video", "audio", "button", "textarea"}


def marker(name: str) -> str:
    """The field's marker: qq and its name, letters only, so a word of its own in any text."""
    return "qq" + name.replace("_", "")


FIELD_OF = {marker(name): name for name in FIELDS}


def typed_value(side: str, name: str) -> str:
    """What is typed in the field `name` for the plain or the hostile consultation."""
    tag = marker(name)
    if name in EMAIL_FIELDS:
        return f"o'neil&{tag}@example.org" if side == HOSTILE else f"{tag}@example.org"
    if name == FILENAME:
        # A file name loses its folders, quotes and angle brackets on the way (a slash
        # would cut the marker off), so its attack is what survives that: & and words.
        if side == HOSTILE:
            return f"{tag} <img src=x onerror=alert(1)>&amp;<b>.txt"
        return f"{tag} notes.txt"
    if side == PLAIN:
        return f"{tag} plain words"
    return f"{tag}{ENCODED_ATTACK}{ATTACK}" if name in HEADER_FIELDS else f"{tag}{ATTACK}"


def shown_as(typed: dict[str, str], name: str) -> str:
    """The text an email shows for the field: what was typed, or the document's safe name."""
    return safe_name(typed[name], "txt") if name == FILENAME else typed[name]


# --- making every email -------------------------------------------------------------------


@dataclass
class Email:
    """One email: its row in the outbox; its HTML part, headers and subject as delivered."""

    subject: str
    html: str
    status: str
    delivered: str | None
    headers: list[str] = field(default_factory=list)
    delivered_subject: str | None = None


@dataclass
class Side:
    """One consultation, everything typed for it, and every email it led to, by label."""

    name: str
    typed: dict[str, str]
    consultation: Consultation | None = None
    emails: dict[str, Email] = field(default_factory=dict)


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """Links in emails are built on SITE_URL; the rate limits have their own tests."""
    app_config["SITE_URL"] = SITE_URL
    app_config["RATELIMIT_ENABLED"] = False
    return app_config


def consultation_file(side: Side, closes_at: datetime) -> dict:
    """The consultation file an admin imports, with every text in it typed by them."""
    typed = side.typed
    questions = [
        {
            "key": "role",
            "type": "single",
            "prompt": typed["prompt_single"],
            "hint": typed["hint"],
            "options": [typed["option_single"], "Resident"],
        },
        {
            "key": "obstacles",
            "type": "multi",
            "prompt": typed["prompt_multi"],
            "options": [typed["option_multi"], "Paperwork"],
            "allow_other": True,
        },
        {"key": "postcode", "type": "text", "prompt": typed["prompt_text"]},
        {"key": "story", "type": "longtext", "prompt": typed["prompt_longtext"]},
        {"key": "follow_up", "type": "email", "prompt": typed["prompt_email"]},
        {"key": "delivers", "type": "yesno", "prompt": typed["prompt_yesno"]},
        {
            "key": "confidence",
            "type": "scale",
            "prompt": typed["prompt_scale"],
            "scale": {"min": typed["scale_min"], "max": typed["scale_max"]},
        },
        {"key": "contracts", "type": "number", "prompt": typed["prompt_number"]},
    ]
    return {
        "slug": f"{side.name}-consultation",
        "title": typed["title"],
        "summary": typed["summary"],
        "body": typed["body"],
        "closes_at": closes_at,
        "officer": {"name": typed["officer_name"], "email": typed["officer_email"]},
        "survey": {"pages": [{"title": typed["page_title"], "questions": questions}]},
        "evidence": {
            "topics": [typed["topic_one"], typed["topic_two"], "Something else"],
            "respondent_types": [typed["respondent_type"], "Other"],
        },
    }


def delivered(clock) -> None:
    """A round of the outbox worker: queue what the clock makes due, send it all."""
    _sent, failed = deliver(clock.now)
    assert failed == 0


def survey_draft(side: Side, clock, scale: str):
    """A survey draft with every question answered, as the survey's pages store it."""
    typed, consultation = side.typed, side.consultation
    questions = list(consultation.questions)
    draft = survey_services.start_draft(consultation, clock.now, clock.now)
    answers = {
        "role": typed["option_single"],
        "obstacles": [typed["option_multi"], OTHER_PREFIX + typed["answer_other"]],
        "postcode": typed["answer_text"],
        "story": typed["answer_longtext"],
        "follow_up": typed["answer_email"],
        "delivers": "yes",
        "confidence": scale,  # 1 and 5 show the scale's labels
        "contracts": 12,
    }
    survey_services.save_page(draft, questions, 1, answers, clock.now)
    return draft, questions


def survey_response(side: Side, clock, scale: str) -> None:
    """Answer the survey, give the respondent's details and send it."""
    draft, questions = survey_draft(side, clock, scale)
    details = {
        "respond_as": "organisation",
        "organisation": side.typed["survey_organisation"],
        "name": side.typed["survey_name"],
        "email": side.typed["survey_email"],
        "publish": "named",
        "consent": True,
    }
    survey_services.save_details(draft, details, clock.now)
    survey_services.submit(side.consultation, draft, questions, clock.now, late=False)


def evidence(client, clock, side: Side) -> None:
    """Send written evidence with a document through the form."""
    typed = side.typed
    url = f"/consultations/{side.consultation.slug}/evidence"
    shown = client.get(url)
    assert shown.status_code == 200
    clock.advance(seconds=5)  # a person takes a while to fill the form in
    fields = {
        **hidden_fields(shown),
        "website": "",
        "name": typed["evidence_name"],
        "email": typed["evidence_email"],
        "respondent_type": typed["respondent_type"],
        "organisation": typed["evidence_organisation"],
        "evidence": typed["evidence_text"],
        "publish": "named",
        "consent": "y",
    }
    entries = list(fields.items())
    entries += [("topics", typed["topic_one"]), ("topics", typed["topic_two"])]
    entries.append(("documents", Upload(typed[FILENAME], txt(), "text/plain")))
    body, content_type = multipart(entries)
    sent = client.post(url, data=body, content_type=content_type)
    assert sent.status_code == 303, sent.get_data(as_text=True)[:2000]


def message(client, clock, side: Side) -> str:
    """Send a message asking for a call through the form; the page to choose a time."""
    typed = side.typed
    fields = {
        "name": typed["contact_name"],
        "email": typed["contact_email"],
        "phone": "020 7946 0123",
        "organisation": typed["contact_organisation"],
        "subject": typed["contact_subject"],
        "message": typed["contact_message"],
        "wants_call": "yes",
    }
    url = f"/consultations/{side.consultation.slug}/contact"
    return call_url(send_message(client, clock, fields, url=url))


def chosen(client, url: str, slot: Slot) -> None:
    """Choose (or change to) the slot's time on the call page at `url`."""
    answer = choose(client, url, slot)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]


def latest(side: Side, channel: str) -> Response:
    """The side's newest response sent through `channel`."""
    return db.session.scalar(
        select(Response)
        .filter_by(consultation_id=side.consultation.id, channel=channel)
        .order_by(Response.id.desc())
        .limit(1)
    )


def changed_by_the_respondent(side: Side, clock) -> None:
    """The respondent changes their written evidence (its text and publication choice)."""
    response = latest(side, "evidence")
    sending = ChangeSending(new_token(), response.version, clock.now, False, new_token())

    def edit(changed: Response) -> None:
        changed.evidence_text = f"{side.typed['evidence_text']} and more"
        changed.publish = "anonymous"

    assert apply_change(response, sending, edit) is Outcome.CHANGED


def withdrawn_by_the_respondent(side: Side, clock) -> None:
    """Another survey response is sent, then withdrawn from its link."""
    survey_response(side, clock, scale="1")
    response = latest(side, "survey")
    links.issue(response)
    db.session.commit()
    assert withdraw(response, clock.now) is not None


def booking_of(slot: Slot) -> Booking:
    """The booking that holds the slot now."""
    return db.session.scalar(select(Booking).filter_by(slot_id=slot.id, status=BOOKED))


def take_part(side: Side, client, clock, slots: list[Slot]) -> None:
    """Everything people do that sends an email, for one consultation; delivered as it goes."""
    consultation, typed = side.consultation, side.typed
    survey_response(side, clock, scale="1")
    evidence(client, clock, side)
    delivered(clock)
    # The respondent's own link: a change, a withdrawal, and new links for lost ones.
    changed_by_the_respondent(side, clock)
    withdrawn_by_the_respondent(side, clock)
    assert respondent_services.send_new_links(typed["evidence_email"], clock.now)
    delivered(clock)
    # A call booked, then moved: reminded of later.
    first = message(client, clock, side)
    chosen(client, first, slots[0])
    delivered(clock)  # before the move withdraws the first invites
    chosen(client, first + "/change", slots[1])
    delivered(clock)
    # A call the respondent cancels, and one the officer cancels in the admin area.
    second = message(client, clock, side)
    chosen(client, second, slots[2])
    delivered(clock)
    cancelled = client.post(second + "/cancel", data=form_fields(client, second + "/cancel"))
    assert cancelled.status_code == 303
    delivered(clock)
    third = message(client, clock, side)
    chosen(client, third, slots[3])
    delivered(clock)
    assert contact_services.cancel_for_officer(booking_of(slots[3]), ADMIN_EMAIL, clock.now)
    delivered(clock)
    # A link to carry on with the survey later, sent to the address typed for it.
    draft, _questions = survey_draft(side, clock, scale="1")
    survey_services.send_resume_link(consultation, draft, typed["resume_email"], clock.now)
    # Someone invited to the admin area.
    user_services.add_user(typed["invitee_email"], OFFICER, typed["inviter"], clock.now)
    delivered(clock)
    # An alert held for the morning's digest (with the scale's other label in it).
    admin_services.set_alert_mode(consultation, "daily", ADMIN_EMAIL)
    survey_response(side, clock, scale="5")
    delivered(clock)


def label(row: OutboxEmail, side: Side) -> str:
    """What the email is and who it is for, such as "call_moved to the officer"."""
    if row.kind == "invite":
        return "invite to the new user"
    what = row.kind
    if row.kind in ("alert", "receipt"):
        parts = row.event_key.split(":")  # alert:<channel>[:v<version>]:<reference>
        if len(parts) == 4:
            what = f"change_{row.kind}"  # about a change the respondent made
        what += f" ({parts[1]})"  # the channel
    who = "the officer" if side.typed["officer_email"] in row.to_addr else "the respondent"
    return f"{what} to {who}"


def collect(side: Side, rows: list[OutboxEmail], received: dict[str, Received]) -> None:
    """The side's emails, each labelled by what it is and its place among its like."""
    seen: Counter[str] = Counter()
    for row in rows:
        # An invitation, and an email of new links, belong to no consultation.
        ours = row.consultation_id == side.consultation.id or (
            row.consultation_id is None
            and row.to_addr in (side.typed["invitee_email"], side.typed["evidence_email"])
        )
        if not ours:
            continue
        kind = label(row, side)
        seen[kind] += 1
        email = Email(row.subject, row.body_html, row.status, None)
        message = received.get(row.message_id)
        if message is not None:
            html = message.message.get_body(preferencelist=("html",))
            # A header that broke out of its line can leave the email with no HTML part.
            email.delivered = html.get_content() if html is not None else ""
            email.headers = message.message.keys()
            email.delivered_subject = str(message.message["Subject"])
        side.emails[f"{kind} #{seen[kind]}"] = email


@pytest.fixture
def sides(app, client, clock, make_survey, smtp_server, monkeypatch) -> dict[str, Side]:
    """Every kind of email the site sends, made for a plain and a hostile consultation."""
    # Each row is compared with what was delivered, so none may forget what it said once
    # sent (tests/test_respondent_withdrawal.py checks that the withdrawal's do).
    monkeypatch.setattr("app.mail.outbox.forget", lambda email: None)
    start = clock.now  # Monday 1 February 2027, midday (GMT: UK time is UTC)
    closes_at = start + timedelta(days=3)
    # Wednesday 3 February at 10am, 11am, 2pm and 3pm.
    call_times = [start + timedelta(hours=hours) for hours in (46, 47, 50, 51)]
    sides = {
        name: Side(name, {field: typed_value(name, field) for field in FIELDS})
        for name in (PLAIN, HOSTILE)
    }
    for side in sides.values():
        side.consultation = make_survey(**consultation_file(side, closes_at))
        take_part(side, client, clock, publish(side.consultation, *call_times))
    for moment in (
        start + timedelta(hours=26),  # Tuesday 2pm: the digest, and the reminders of the call
        start + timedelta(hours=54),  # Wednesday 6pm: the deadline is 18 hours away
        closes_at + timedelta(hours=1),  # closed: the summary
    ):
        clock.set(moment)
        delivered(clock)
    db.session.expire_all()
    rows = list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))
    received = {message.message_id: message for message in smtp_server.received}
    for side in sides.values():
        collect(side, rows, received)
    return sides


# --- reading an email ---------------------------------------------------------------------


def parse(html: str) -> BeautifulSoup:
    """The HTML as a mail client's HTML5 parser builds it."""
    return BeautifulSoup(html, "html5lib")


def shape(soup: BeautifulSoup) -> list[tuple[str, tuple[str, ...]]]:
    """Each element in document order, as its tag and its attributes' names."""
    return [(tag.name, tuple(sorted(tag.attrs))) for tag in soup.find_all(True)]


def attribute_values(tag) -> list[str]:
    """The tag's attribute values as strings (class and the like are parsed into lists)."""
    return [" ".join(v) if isinstance(v, list) else v for v in tag.attrs.values()]


def markup_problems(where: str, plain_html: str, hostile_html: str, typed: dict) -> list[str]:
    """What in the hostile email is markup someone typed, or typed text that went missing."""
    plain, hostile = parse(plain_html), parse(hostile_html)
    problems = []
    if shape(hostile) != shape(plain):
        extra = Counter(shape(hostile)) - Counter(shape(plain))
        missing = Counter(shape(plain)) - Counter(shape(hostile))
        problems.append(
            f"{where}: elements unlike the plain email's: {sorted(extra)} more,"
            f" {sorted(missing)} fewer"
        )
    for tag in hostile.find_all(True):
        seen = f"{where}: {str(tag)[:160]}"
        if tag.name in FORBIDDEN:
            problems.append(f"{seen}: a <{tag.name}> element")
        if tag.name == "a" and not tag.get("href", "").startswith((SITE_URL + "/", "mailto:")):
            problems.append(f"{seen}: a link off the site")
        for name, value in zip(tag.attrs, attribute_values(tag), strict=True):
            if name.lower().startswith("on") or "evil.example" in value:
                problems.append(f"{seen}: the attribute {name}={value!r}")
            for typed_name, typed_text in typed.items():
                # The officer's address is rightly a mailto: link's whole target.
                if marker(typed_name) in value and value != f"mailto:{typed_text}":
                    problems.append(f"{seen}: {typed_name} is in the attribute {name}")
    text, plain_text = hostile.body.get_text(), plain.body.get_text()
    shown, plain_shown = set(MARKER.findall(text)), set(MARKER.findall(plain_text))
    if shown != plain_shown:
        fields = sorted(FIELD_OF.get(m, m) for m in shown ^ plain_shown)
        problems.append(f"{where}: not shown as in the plain email: {fields}")
    if not plain_shown:
        problems.append(f"{where}: nothing typed reaches it, so it proves nothing")
    for found in shown & set(FIELD_OF):
        if shown_as(typed, FIELD_OF[found]) not in text:
            problems.append(f"{where}: {FIELD_OF[found]} is not shown whole, as text")
    return problems


def same_document(one: str, other: str) -> bool:
    """Whether two HTML texts parse to the same elements and the same text."""
    first, second = parse(one), parse(other)
    return shape(first) == shape(second) and text_of(first) == text_of(second)


def text_of(soup: BeautifulSoup) -> str:
    """The text, with \\n line ends, less the newline a MIME part gains at its end."""
    return soup.get_text().replace("\r\n", "\n").rstrip("\n")


def title_problems(where: str, email: Email, html: str) -> list[str]:
    """Whether the HTML's <title> is the email's subject, as text."""
    title = parse(html).title
    text = title.get_text() if title is not None else None
    return [] if text == email.subject else [f"{where}: title {text!r}, subject {email.subject!r}"]


# --- the tests ----------------------------------------------------------------------------


CHANNELS = ("survey", "evidence", "message")
CALL_EVENTS = ("booked", "moved", "cancelled", "reminder")
EVERY_KIND = {
    *(f"alert ({channel}) to the officer" for channel in CHANNELS),
    *(f"receipt ({channel}) to the respondent" for channel in CHANNELS),
    *(f"call_{event} to the officer" for event in CALL_EVENTS),
    *(f"call_{event} to the respondent" for event in CALL_EVENTS),
    "digest to the officer",
    "reminder to the officer",
    "closing_summary to the officer",
    "resume to the respondent",
    "invite to the new user",
    "change_alert (evidence) to the officer",
    "change_receipt (evidence) to the respondent",
    "withdrawn_alert to the officer",
    "withdrawn_receipt to the respondent",
    "new_links to the respondent",
}


def template_of(kind: str) -> str:
    """The template an email of this kind (an outbox row's `kind`) is rendered from."""
    if kind.startswith("call_"):
        return "call"
    return {
        "alert": "officer_alert",
        "resume": "survey_resume",
        "withdrawn_alert": "withdrawal_alert",
        "withdrawn_receipt": "withdrawal_receipt",
    }.get(kind, kind)


def test_every_kind_of_email_is_made_with_every_typed_value_in_it(sides):
    """Every email template and kind is made, alike for both, and each typed value reaches one."""
    plain, hostile = sides[PLAIN], sides[HOSTILE]
    assert set(plain.emails) == set(hostile.emails)
    kinds = {name.rsplit(" #", 1)[0] for name in hostile.emails}
    assert kinds == EVERY_KIND
    # Cancelled by the respondent and by the officer: each email says which.
    assert "call_cancelled to the officer #2" in hostile.emails
    used = {template_of(kind.split()[0]) for kind in kinds}
    on_disk = {path.stem for path in TEMPLATES.glob("*.html") if not path.name.startswith("_")}
    assert used == on_disk
    reached = set()
    for email in hostile.emails.values():
        reached |= {FIELD_OF[m] for m in MARKER.findall(parse(email.html).body.get_text())}
    assert reached >= set(FIELDS) - NOT_IN_EMAILS, sorted(set(FIELDS) - NOT_IN_EMAILS - reached)


def test_no_element_or_attribute_in_any_email_comes_from_what_was_typed(sides):
    """Each hostile email, as queued, has the plain one's elements and shows the attack as text."""
    plain, hostile = sides[PLAIN], sides[HOSTILE]
    problems = []
    for name, email in hostile.emails.items():
        problems += markup_problems(name, plain.emails[name].html, email.html, hostile.typed)
    assert not problems, "\n".join(problems)


def test_each_emails_title_is_its_subject_as_text(sides):
    """The <title> says the subject, however it is made and whatever it holds."""
    # The subjects that once broke out of the title hold the attack, so this is no idle check.
    calls = [e for name, e in sides[HOSTILE].emails.items() if name.startswith("call_")]
    assert calls and all("</title><a href=" in email.subject for email in calls)
    problems = []
    for side in sides.values():
        for name, email in side.emails.items():
            problems += title_problems(f"{side.name} {name}", email, email.html)
    assert not problems, "\n".join(problems)


def test_the_html_parts_delivered_are_as_safe_as_the_rows(sides):
    """What a real SMTP server received passes the same checks: the HTML part is the row's."""
    plain, hostile = sides[PLAIN], sides[HOSTILE]
    for side in sides.values():
        unsent = [
            name
            for name, e in side.emails.items()
            if (e.status == SENT) != (e.delivered is not None)
        ]
        assert not unsent, unsent
    sent = [name for name, email in hostile.emails.items() if email.delivered is not None]
    # Everything but the alerts held for the digest; above all the officer's call emails.
    assert {name for name in hostile.emails if name not in sent} == {
        "alert (survey) to the officer #2"
    }
    problems = []
    for name in sent:
        where = f"{name}, as delivered"
        email = hostile.emails[name]
        if not same_document(email.delivered, email.html):
            problems.append(f"{where}: not the HTML the outbox row holds")
        if email.headers != plain.emails[name].headers:
            problems.append(f"{where}: headers {email.headers}, not {plain.emails[name].headers}")
        if email.delivered_subject != email.subject:
            problems.append(f"{where}: subject {email.delivered_subject!r}, not {email.subject!r}")
        problems += markup_problems(
            where, plain.emails[name].delivered, email.delivered, hostile.typed
        )
        problems += title_problems(where, email, email.delivered)
    assert not problems, "\n".join(problems)
