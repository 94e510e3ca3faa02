"""Any sequence of what respondents do with the links in their receipts leaves every
response, its versions, the emails and the counts as a model of them says (issue 20).

Respondents send a survey response, written evidence and a message (and perhaps one
more) through the public forms; then, in a random order, they change them through the
change forms (a survey's from its check page, after changing answers on its pages),
change whether they may be published, send a form twice, send a form loaded before
another change (two tabs or devices), withdraw them, ask for new links, open their links
old and new, and the clock moves on. Every form is sent as a browser sends it, from the
page it was loaded on, some seconds after loading it. The second test takes each
sequence through the deadline, over a change form opened just before it.

A model beside the site says what each request must answer and what each response must
then be. After every step, and after every form sent, the site is compared with it: each
response's fields and documents, its version (one more for each real change), the older
versions kept (one for each change, holding what the version it replaced said, its
documents, when it was made and whether it was late) and a survey's change draft; the
outbox (an alert and a receipt for each real change, none for a form sent unchanged,
twice or from a stale page; each receipt with the link that made the change, copied to
the address it was sent from when it moved; a confirmation and an alert for each
withdrawal; a new-links email only when one is due); the audit log; the documents on
disk; what a withdrawn response leaves (nothing: no row, answer, version, document,
draft or email about it); and the counts and the survey's charts, which count only the
responses not withdrawn, as they now read. Every page a step receives is checked as
any page in the tests is (tests/support/html_checks.py), and none is a 500.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.intake import channels, links
from app.intake.changes import snapshot
from app.models import (
    Attachment,
    AuditEvent,
    Booking,
    ChoiceAnswer,
    Consultation,
    OutboxEmail,
    Response,
    ResponseVersion,
)
from app.survey import results
from app.survey.forms import OTHER
from tests.support import evidence as ev
from tests.support import sample_files as sf
from tests.support import survey as sv
from tests.support.clients import START, CheckedClient, UncheckedClient, new_browser
from tests.support.contact import send_message
from tests.support.factories import SLUG
from tests.support.pages import error_messages, h1_text, page, sent_by, stamped_form, where
from tests.support.respondents import (
    NEW_LINK,
    NEW_LINK_SENT,
    WITHDRAWN,
    audited,
    link_in,
    links_in_new_links,
    newest,
    queued_receipt_link,
    token_of,
)

SEQUENCES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # No shrinking: each example is some dozens of requests, and shrinking one took many
    # minutes. The notes of a failing example name each step and what it met.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
CLOSING = settings(SEQUENCES, max_examples=20)
WAIT = timedelta(seconds=5)  # how long a person takes over a form: over SUBMIT_MIN_SECONDS
LINKS_WINDOW = 15 * 60  # seconds: one new-links email per address in each such window
EMAIL_KINDS = {"evidence": "evidence", "contact": "message", "survey": "survey"}
COUNT_LABELS = {"survey": "Survey responses", "evidence": "Written evidence", "contact": "Messages"}

# --- what respondents type ----------------------------------------------------------------------

ADDRESSES = ["ada@example.org", "bea@example.org"]
NAMES = ["Ada Jones", "Bea Ng", "Ćiro Šimić", "Dee O'Neill"]
ORGANISATIONS = ["", "Northside Food Bank", "Żabka Co-op & Sons"]
EVIDENCE_TEXTS = [
    ev.EVIDENCE,
    "Payment arrives 30 days after invoicing.",
    "Line one.\n\nLine two, «quoted».",
    "<b>Not bold</b> & 'quoted'\nEin Bericht über Verträge.",
]
SUBJECTS = ["Bus routes in the north", "Bus routes in the whole borough", "Café & <b>parking</b>"]
MESSAGES = [
    "The 42 no longer runs after 7pm.\nPeople cannot get home from work.",
    "The 42 and the 17 no longer run after 7pm.",
    "Çok teşekkürler.\n\nSecond paragraph.",
]
# A telephone number as typed, and as stored.
PHONES = [
    ("", ""),
    ("020 7946 0123", "+442079460123"),
    ("+44 808 157 0192", "+448081570192"),
    ("0808 157 0192", "+448081570192"),  # the same number, as the page shows it
]
PUBLISH = ["named", "anonymous", "no"]
# Documents: a name and the text inside, so that one name can come with new contents.
DOCUMENTS = [
    ("notes.txt", "Minutes of the meeting."),
    ("notes.txt", "Corrected minutes of the meeting."),
    ("report.pdf", "Annual report"),
    ("Plan 2027.pdf", "A plan"),
    ("appendix.txt", "Figures by ward."),
]
MAX_FILES = 3  # the consultation's limit on documents
TEXT_BOXES = {"evidence", "message", "q_story"}  # sent with CRLF line breaks, as browsers send them


def as_upload(document: tuple[str, str]) -> sf.Upload:
    """A document to attach: a PDF or a text file with these words in it."""
    name, text = document
    data = sf.pdf(text) if name.endswith(".pdf") else sf.txt(text)
    return sf.Upload(name, data, "application/octet-stream")


def sha(upload: sf.Upload) -> str:
    return hashlib.sha256(upload.data).hexdigest()


EVIDENCE_EDITS = {
    "name": st.sampled_from(NAMES),
    "email": st.sampled_from(ADDRESSES),
    "organisation": st.sampled_from(ORGANISATIONS),
    "respondent_type": st.sampled_from(ev.RESPONDENT_TYPES),
    "topics": st.lists(st.sampled_from(ev.TOPICS), min_size=1, unique=True).map(
        lambda chosen: [topic for topic in ev.TOPICS if topic in chosen]  # as the page lists them
    ),
    "evidence": st.sampled_from(EVIDENCE_TEXTS),
    "publish": st.sampled_from(PUBLISH),
}
MESSAGE_EDITS = {
    "name": st.sampled_from(NAMES),
    "email": st.sampled_from(ADDRESSES),
    "phone": st.sampled_from([typed for typed, _stored in PHONES]),
    "organisation": st.sampled_from(ORGANISATIONS),
    "subject": st.sampled_from(SUBJECTS),
    "message": st.sampled_from(MESSAGES),
}
# Edits the form refuses (422): nothing may change.
REFUSED = {"evidence": {"evidence": "   "}, "contact": {"subject": ""}}


# The survey (tests/support/factories.py): page 1 asks everyone, page 2 community
# organisations, page 3 council officers, page 4 everyone. What each page's form sends.
ROLES = [sv.ORGANISATION, sv.COUNCIL, sv.RESIDENT]
OBSTACLES = ["Paperwork", "Contract size", "Payment terms"]
STORIES = ["", sv.STORY, "Другой ответ.\nВторая строка."]
SURVEY_PAGES = {
    1: st.fixed_dictionaries(
        {
            "q_role": st.sampled_from(ROLES),
            "q_postcode": st.sampled_from(["", "AB1 2CD", "ZZ9 9ZZ"]),
        }
    ),
    2: st.one_of(
        st.just({"q_delivers_now": "no", "other_obstacles": ""}),
        st.fixed_dictionaries(
            {
                "q_delivers_now": st.just("yes"),
                "q_obstacles": st.lists(st.sampled_from([*OBSTACLES, OTHER]), unique=True).map(
                    lambda chosen: [o for o in [*OBSTACLES, OTHER] if o in chosen]
                ),
                "other_obstacles": st.sampled_from(["Insurance", "Late payment"]),
            }
        ).map(
            lambda sent: sent if OTHER in sent["q_obstacles"] else {**sent, "other_obstacles": ""}
        ),
    ),
    3: st.fixed_dictionaries(
        {
            "q_commissions": st.sampled_from(["yes", "no"]),
            "q_budget": st.sampled_from(["", "0", "12", "1000"]),
        }
    ),
    4: st.fixed_dictionaries(
        {
            "q_confidence": st.sampled_from(["1", "2", "3", "4", "5"]),
            "q_story": st.sampled_from(STORIES),
            "q_contact_email": st.sampled_from(["", "ada.work@example.org"]),
        }
    ),
    "details": st.fixed_dictionaries(
        {
            "name": st.sampled_from(NAMES),
            "email": st.sampled_from(ADDRESSES),
            "publish": st.sampled_from(PUBLISH),
        }
    ),
}
CONFIDENCE = {"1": "1 – Strongly disagree", "5": "5 – Strongly agree"}


@st.composite
def edits(draw, choices: dict[str, st.SearchStrategy]) -> dict[str, Any]:
    """A few fields changed, sometimes to what they were already; now and then none."""
    least = int(draw(st.integers(0, 5)) < 5)
    names = draw(
        st.lists(st.sampled_from(sorted(choices)), min_size=least, max_size=3, unique=True)
    )
    return {name: draw(choices[name]) for name in names}


# --- the survey's rules, as the model knows them -------------------------------------------------

PAGE_KEYS = {
    1: ("role", "postcode"),
    2: ("delivers_now", "obstacles"),
    3: ("commissions", "budget"),
    4: ("confidence", "story", "contact_email"),
}


def page_answers(number: int, sent: dict[str, Any]) -> dict[str, Any]:
    """What a survey page's form, as sent, stores: its answers, none left empty."""
    if number == 2:
        chosen = [
            o if o != OTHER else f"Other: {sent['other_obstacles']}"
            for o in sent.get("q_obstacles", [])
        ]
        return {"delivers_now": sent["q_delivers_now"]} | ({"obstacles": chosen} if chosen else {})
    if number == 3:
        budget = sent["q_budget"]
        return {"commissions": sent["q_commissions"]} | ({"budget": int(budget)} if budget else {})
    answers = {key: sent[f"q_{key}"] for key in PAGE_KEYS[number]}
    return {key: value for key, value in answers.items() if value}


def route(answers: dict[str, Any]) -> list[int]:
    """The pages a respondent with these answers is asked."""
    role = answers.get("role")
    return [1, *([2] if role == sv.ORGANISATION else []), *([3] if role == sv.COUNCIL else []), 4]


def answered(answers: dict[str, Any], number: int, sent: dict[str, Any]) -> dict[str, Any]:
    """The answers once page `number` is sent: its own replaced, and those of questions
    the route no longer asks dropped (what gets in the way is asked only of those who
    deliver contracts)."""
    merged = {k: v for k, v in answers.items() if k not in PAGE_KEYS[number]}
    merged |= page_answers(number, sent)
    asked = {key for page in route(merged) for key in PAGE_KEYS[page]}
    if merged.get("delivers_now") != "yes":
        asked.discard("obstacles")
    return {key: value for key, value in merged.items() if key in asked}


def charted(answers: dict[str, Any]) -> list[tuple[str, str]]:
    """What the charts count for these answers: (question, option), sorted."""
    labels = {"yes": "Yes", "no": "No", **CONFIDENCE}
    pairs = [(key, answers[key]) for key in ("role",) if key in answers]
    for key in ("delivers_now", "commissions", "confidence"):
        if key in answers:
            pairs.append((key, labels.get(answers[key], answers[key])))
    for option in answers.get("obstacles", []):
        pairs.append(("obstacles", "Other" if option.startswith("Other: ") else option))
    return sorted(pairs)


def survey_fields(answers: dict[str, Any], details: dict[str, Any]) -> dict[str, Any]:
    """What the stored survey response must hold."""
    return {
        "answers": answers,
        "respond_as": details["respond_as"],
        "organisation": details["organisation"] if details["respond_as"] == "organisation" else "",
        "name": details["name"],
        "email": details["email"],
        "publish": details["publish"],
    }


# --- the model ---------------------------------------------------------------------------------


@dataclass
class Older:
    """A version the response had, as it must be kept once changed; and what the model
    says it said."""

    number: int
    rows: list[list[str]]
    documents: list[str]
    made_at: datetime
    late: bool
    fields: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class Receipt:
    """What the receipt of a version must say: the link, and to whom it goes."""

    link: str
    to: str
    moved_from: str = ""


@dataclass
class Draft:
    """A survey response's change draft: what it holds, and since when."""

    version: int  # of the response, when the draft was made from it
    started_at: datetime
    fields: dict[str, Any]
    done: list[int]
    token: str = ""  # the draft's, changed each time the change is opened


@dataclass(repr=False)
class Sent:
    """One response as the model knows it."""

    channel: str
    id: int
    reference: str
    browser: FlaskClient  # the one it was sent from
    link: str  # the token of the link that works now
    fields: dict[str, Any]
    submitted_at: datetime
    documents: list[tuple[str, str]] = field(default_factory=list)  # (name, sha256)
    version: int = 1
    late: bool = False
    changed_at: datetime | None = None
    change_token: str | None = None
    older: list[Older] = field(default_factory=list)
    receipts: dict[int, Receipt] = field(default_factory=dict)
    old_links: list[str] = field(default_factory=list)
    withdrawn: bool = False
    rows: list[list[str]] = field(default_factory=list)  # as stored before the last send
    draft: Draft | None = None  # a survey response's change in progress

    @property
    def living(self) -> bool:
        return not self.withdrawn

    def __repr__(self) -> str:
        return f"<{self.channel} {self.reference} v{self.version}>"


@dataclass(repr=False)
class Form:
    """A form loaded from a respondent's link, perhaps sent already."""

    sent: Sent
    kind: str  # "evidence", "contact", "survey" (its check page) or "publication"
    link: str
    browser: FlaskClient
    shown: MultiDict  # what the browser would send as the page came
    listed: list[tuple[str, str]]  # documents it lists: (name, its Remove box's value)
    loaded_at: datetime
    body: tuple[MultiDict, list[sf.Upload]] | None = None  # what it last sent

    def __repr__(self) -> str:
        return f"<{self.kind} form of {self.sent!r}, loaded at v{self.version}>"

    @property
    def url(self) -> str:
        if self.kind == "publication":
            return f"/your-response/{self.link}/publication"
        if self.kind == "survey":
            return sv.CHECK
        return f"/consultations/{SLUG}/{self.kind}/change/{self.link}"

    @property
    def version(self) -> int:
        return int(self.shown["version"])

    @property
    def token(self) -> str:
        return self.shown["token"]


@dataclass(frozen=True)
class Changing:
    """The survey change a browser is making: the response, the change draft's token
    when the browser opened it, and the link it came by."""

    response: int
    token: str
    link: str


@dataclass(repr=False)
class World:
    """The site as the model says it must be, and the browsers acting on it."""

    app: Flask
    clock: Any
    consultation: Consultation
    other_device: FlaskClient
    sent: list[Sent] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    changes: int = 0
    withdrawals: int = 0
    new_links: int = 0
    links_emailed: set[tuple[str, int]] = field(default_factory=set)
    withdrawn_here: dict[int, str] = field(default_factory=dict)  # browser -> link
    changing: dict[int, Changing | None] = field(default_factory=dict)  # browser -> change

    @property
    def now(self) -> datetime:
        return self.clock.now

    def wait(self) -> None:
        self.clock.advance(seconds=WAIT.total_seconds())

    def living(self) -> list[Sent]:
        return [sent for sent in self.sent if sent.living]

    def after_close(self, channel: str) -> bool:
        return channel == "contact" and self.consultation.messages_after_close

    def is_open(self) -> bool:
        return self.consultation.opens_at <= self.now < self.consultation.closes_at

    def takes_changes(self, channel: str) -> bool:
        return self.is_open() or self.after_close(channel)

    def admitted(self, channel: str, loaded_at: datetime) -> bool | None:
        """Whether a change begun at `loaded_at` and sent now is late; None when it is
        refused (the closed page)."""
        if self.is_open() or self.after_close(channel):
            return False
        closes = self.consultation.closes_at
        loaded_in_time = self.consultation.opens_at <= loaded_at < closes
        return True if loaded_in_time and self.now < closes + self.consultation.grace else None


class Browser(CheckedClient):
    """A browser that checks every page it receives, unless told not to."""

    checking = True

    def open(self, *args, **kwargs):
        if self.checking:
            return super().open(*args, **kwargs)
        return UncheckedClient.open(self, *args, **kwargs)


# --- setting the site up afresh for each sequence ------------------------------------------------


def start_afresh(app: Flask, clock) -> Consultation:
    """No response, email, audit event or document left from the sequence before; the
    clock back at its start."""
    db.session.rollback()
    for model in (ChoiceAnswer, Attachment, ResponseVersion, Booking, Response, OutboxEmail):
        db.session.execute(delete(model))
    db.session.execute(delete(AuditEvent))
    db.session.commit()
    for path in ev.upload_folder(app).rglob("*"):
        if path.is_file():
            path.unlink()
    clock.set(START)
    return db.session.scalar(select(Consultation).filter_by(slug=SLUG))


@pytest.fixture
def site(request, app_config) -> Flask:
    """The app without rate limits (every request comes from one address here), and the
    consultation: survey, evidence and messages, closing three weeks from the start."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    request.getfixturevalue("make_survey")()
    return app


def sends_evidence(world: World, data: st.DataObject, browser: FlaskClient) -> Sent:
    """Written evidence, with a document or two as often as not, as the model knows it."""
    typed = {**ev.VALID, **data.draw(edits(EVIDENCE_EDITS), label="evidence sent")}
    documents = data.draw(
        st.lists(st.sampled_from(DOCUMENTS), min_size=int(mostly(data, "any?")), max_size=2),
        label="documents",
    )
    uploads = [as_upload(document) for document in documents]
    ev.sent_ok(ev.send(browser, world.clock, crlf(typed), uploads))
    response = newest("evidence")
    return Sent(
        "evidence",
        response.id,
        response.reference,
        browser,
        token_of(queued_receipt_link(response.reference)),
        evidence_fields(typed),
        response.submitted_at,
        documents=[(upload.filename, sha(upload)) for upload in uploads],
    )


def sends_message(world: World, data: st.DataObject, browser: FlaskClient) -> Sent:
    """A message to the officer (no call: no times are published), as the model knows it."""
    typed = {
        "name": "Ann Example",
        "email": ADDRESSES[0],
        "phone": "",
        "organisation": "",
        "subject": SUBJECTS[0],
        "message": MESSAGES[0],
        **data.draw(edits(MESSAGE_EDITS), label="message sent"),
    }
    sent = send_message(browser, world.clock, crlf(typed))
    assert sent.status_code == 303, error_messages(sent)
    response = newest("contact")
    return Sent(
        "contact",
        response.id,
        response.reference,
        browser,
        token_of(queued_receipt_link(response.reference)),
        message_fields(typed),
        response.submitted_at,
    )


def sends_survey(world: World, data: st.DataObject, browser: FlaskClient) -> Sent:
    """A survey response along the route its first answer takes, as the model knows it."""
    pages = {1: data.draw(SURVEY_PAGES[1], label="page 1")}
    answers = answered({}, 1, pages[1])
    for number in route(answers)[1:]:
        pages[number] = data.draw(SURVEY_PAGES[number], label=f"page {number}")
        answers = answered(answers, number, pages[number])
    details = {**sv.DETAILS, **data.draw(SURVEY_PAGES["details"], label="details")}
    sv.take_route(browser, {number: crlf(sent) for number, sent in pages.items()}, details)
    sent = sv.send(browser, world.clock, seconds=WAIT.total_seconds())
    assert sent.status_code == 303, error_messages(sent)
    response = newest("survey")
    return Sent(
        "survey",
        response.id,
        response.reference,
        browser,
        token_of(queued_receipt_link(response.reference)),
        survey_fields(answers, details),
        response.submitted_at,
    )


def crlf(fields: dict[str, Any]) -> dict[str, Any]:
    """Boxes of several lines as a browser sends them."""
    return {
        name: value.replace("\n", "\r\n") if name in TEXT_BOXES else value
        for name, value in fields.items()
    }


def evidence_fields(sent: MultiDict | dict) -> dict[str, Any]:
    """What the stored evidence must hold, from what the form sent (all of it valid)."""
    topics = sent.getlist("topics") if isinstance(sent, MultiDict) else sent["topics"]
    return {
        "name": sent["name"],
        "email": sent["email"],
        "organisation": sent["organisation"],
        "respondent_type": sent["respondent_type"],
        "topics": list(topics),
        "evidence_text": sent["evidence"].replace("\r\n", "\n"),
        "publish": sent["publish"],
    }


def message_fields(sent: MultiDict | dict) -> dict[str, Any]:
    """What the stored message must hold, from what the form sent (all of it valid)."""
    return {
        "name": sent["name"],
        "email": sent["email"],
        "phone": dict(PHONES)[sent["phone"]],
        "organisation": sent["organisation"],
        "subject": sent["subject"],
        "message": sent["message"].replace("\r\n", "\n"),
    }


def sends_responses(world: World, data: st.DataObject) -> None:
    """Respondents send one response of each kind, and perhaps one more, each from a
    browser of their own."""
    senders = {"evidence": sends_evidence, "contact": sends_message, "survey": sends_survey}
    kinds = data.draw(st.permutations(sorted(senders)), label="responses")
    kinds += data.draw(st.lists(st.sampled_from(sorted(senders)), max_size=1), label="one more")
    for kind in kinds:
        world.clock.advance(minutes=1)
        browser = new_browser(world.app, Browser)
        browser.checking = False  # these pages have tests of their own
        world.sent.append(senders[kind](world, data, browser))
        browser.checking = True


# --- what a step must answer, and what it does to the model --------------------------------------


def pick(data: st.DataObject, world: World, label: str) -> Sent:
    """A response: of each kind alike, mostly one not withdrawn, now and then one that is."""
    living = world.living()
    if living and (len(living) == len(world.sent) or data.draw(st.integers(0, 7)) < 7):
        among = living
    else:
        among = world.sent
    kinds = [kind for kind in ("survey", "evidence", "contact") if any_of(among, kind)]
    kind = data.draw(st.sampled_from(kinds), label="kind")
    return data.draw(st.sampled_from([sent for sent in among if sent.channel == kind]), label=label)


def any_of(sent: list[Sent], kind: str) -> bool:
    """Whether any of these responses is of this kind."""
    return any(one.channel == kind for one in sent)


def browser_for(data: st.DataObject, world: World, sent: Sent) -> FlaskClient:
    """The browser the response was sent from, or another device."""
    return data.draw(st.sampled_from([sent.browser, world.other_device]), label="browser")


def load(
    world: World, data: st.DataObject, sent: Sent, kind: str, browser: FlaskClient
) -> Form | None:
    """Open the change form (or the publication form) from the respondent's link; a
    survey's change is made on its pages, up to the check page and its form.

    None when the page gives no form: a link that no longer works (404), or a change
    form once changes are over (to the response's page)."""
    if kind == "survey":
        return load_survey(world, data, sent, browser)
    link = sent.link
    form = Form(sent, kind, link, browser, MultiDict(), [], world.now)
    shown = browser.get(form.url)
    if sent.withdrawn:
        assert shown.status_code == 404, shown.status_code
        return None
    if kind != "publication" and not world.takes_changes(kind):
        assert shown.status_code == 303, shown.status_code
        assert where(shown) == f"/your-response/{link}"
        return None
    assert shown.status_code == 200, shown.status_code
    held = stamped_form(page(shown))
    form.shown = sent_by(held)
    assert form.version == sent.version
    for box in held.find_all("input", attrs={"name": "remove"}):
        name = " ".join(held.find("label", attrs={"for": box["id"]}).get_text().split())
        form.listed.append((name.removeprefix("Remove "), box["value"]))
    if kind == "evidence":
        assert [name for name, _value in form.listed] == [name for name, _sha in sent.documents]
    world.forms.append(form)
    return form


def load_survey(world: World, data: st.DataObject, sent: Sent, browser: FlaskClient):
    """Open the change of a survey response: its change draft, carried on if it was made
    from the version there is now, else made afresh; change some answers from the
    check page, and load the check page."""
    link = sent.link
    opened = browser.get(f"/consultations/{SLUG}/survey/change/{link}")
    if sent.withdrawn:
        assert opened.status_code == 404, opened.status_code
        return None
    assert opened.status_code == 303, opened.status_code
    if not world.takes_changes("survey"):
        assert where(opened) == f"/your-response/{link}"
        return None
    assert where(opened) == sv.CHECK
    if sent.draft is None or sent.draft.version != sent.version:
        answers = sent.fields["answers"]
        sent.draft = Draft(sent.version, world.now, dict(sent.fields), route(answers))
    draft = sent.draft
    pages = data.draw(
        st.lists(
            st.sampled_from([1, 2, 3, 4, "details"]),
            min_size=int(data.draw(st.integers(0, 5)) < 5),  # now and then, none
            max_size=3,
            unique=True,
        ),
        label="pages changed",
    )
    for number in pages:
        if number == "details" or number in route(draft.fields["answers"]):
            changes_page(data, browser, draft, number)
    check = browser.get(sv.CHECK)
    assert check.status_code == 200, check.status_code
    form = Form(sent, "survey", link, browser, sent_by(stamped_form(page(check))), [], world.now)
    assert form.shown["changing"] == str(sent.id)
    assert form.version == draft.version
    draft.token = form.token
    world.changing[id(browser)] = Changing(sent.id, form.token, link)
    world.forms.append(form)
    return form


def changes_page(data: st.DataObject, browser: FlaskClient, draft: Draft, number) -> None:
    """Change the answers on one page from the check page; answer any page the new
    answers route to, and so back to the check page."""
    while True:
        sent = data.draw(SURVEY_PAGES[number], label=f"page {number}")
        if number == "details":
            url, sent = f"{sv.DETAILS_URL}?return=check", {**sv.DETAILS, **sent}
        else:
            url = sv.page_url(number, **{"return": "check"})
        answer = sv.send_form(browser, sv.open_step(browser, url), crlf(sent))
        assert answer.status_code == 303, error_messages(answer)
        if number == "details":
            draft.fields = survey_fields(draft.fields["answers"], sent)
        else:
            answers = answered(draft.fields["answers"], number, sent)
            draft.fields = {**draft.fields, "answers": answers}
            draft.done = [p for p in route(answers) if p in {*draft.done, number}]
        missing = [p for p in route(draft.fields["answers"]) if p not in draft.done]
        if not missing:
            assert where(answer) == sv.CHECK
            return
        number = missing[0]
        assert where(answer) == sv.page_url(number, **{"return": "check"})


def body_of(form: Form, changes: dict[str, Any], removed: list[int]) -> MultiDict:
    """What the browser sends: the form as it came, with `changes` typed over it and
    the Remove boxes of the documents at `removed` ticked."""
    body = MultiDict(form.shown)
    for name, value in changes.items():
        body.poplist(name)
        for one in value if isinstance(value, list) else [value]:
            body.add(name, one)
    for index in removed:
        body.add("remove", form.listed[index][1])
    return body


def post(form: Form, body: MultiDict, uploads: list[sf.Upload]):
    """Send the form as a browser does: line breaks as CRLF, files as multipart.

    What the response says just before, which the model has checked, is what the
    version this send may replace must keep."""
    db.session.rollback()
    response = stored(form.sent) if form.sent.living else None
    form.sent.rows = [list(row) for row in snapshot(response)] if response else []
    entries = [
        (name, value.replace("\n", "\r\n") if name in TEXT_BOXES else value)
        for name, value in body.items(multi=True)
    ]
    if form.kind == "evidence":
        entries += [("documents", upload) for upload in uploads]
        data, content_type = sf.multipart(entries)
        return form.browser.post(form.url, data=data, content_type=content_type)
    return form.browser.post(form.url, data=MultiDict(entries))


def what_it_makes(form: Form, body: MultiDict, uploads: list[sf.Upload]):
    """The fields and documents the response must have if this body changes it."""
    sent = form.sent
    if form.kind == "publication":
        return {**sent.fields, "publish": body["publish"]}, list(sent.documents)
    if form.kind == "contact":
        return message_fields(body), []
    removed = {value for value in body.getlist("remove")}
    kept = [
        document
        for document, (_name, value) in zip(sent.documents, form.listed, strict=True)
        if value not in removed
    ]
    return evidence_fields(body), kept + [(upload.filename, sha(upload)) for upload in uploads]


def send(world: World, form: Form, body: MultiDict, uploads: list[sf.Upload], refused=False):
    """Send the form, and check the answer and the model's new state against each other."""
    if form.kind == "survey":
        return send_survey(world, form, body)
    sent = form.sent
    answer = post(form, body, uploads)
    form.body = (body, uploads)
    status = answer.status_code
    if sent.withdrawn or form.link != sent.link:  # or a new link was sent since
        assert status == 404, status
        assert h1_text(answer) == "This link does not work"
        return "gone"
    late = sent.late
    if form.kind != "publication":
        late = world.admitted(form.kind, form.loaded_at)
        if late is None:
            assert status == 410, status
            assert h1_text(answer) == "The deadline for responses has passed"
            return "closed"
    if refused:
        assert status == 422, status
        return "refused"
    stale = form.token == sent.change_token or form.version != sent.version
    if form.kind == "publication" and form.shown["was"] == sent.fields["publish"]:
        # A change made meanwhile to anything but the choice does not stand in its way.
        stale = form.token == sent.change_token
    if form.token == sent.change_token:
        assert status == 303, (status, error_messages(answer))
        return "already"
    if stale:
        assert status == 409, (status, error_messages(answer))
        conflict_page(world, form, answer)
        return "conflict"
    assert status == 303, (status, error_messages(answer))
    assert where(answer) == f"/your-response/{sent.link}"
    fields, documents = what_it_makes(form, body, uploads)
    return changed(world, form, fields, documents, late)


def changed(world: World, form: Form, fields, documents, late: bool) -> str:
    """The model of a change made: the version replaced kept, and the new one's receipt."""
    sent = form.sent
    if (
        fields == sent.fields
        and [name for name, _sha in documents] == [name for name, _sha in sent.documents]
        and sorted(documents) == sorted(sent.documents)
    ):
        return "unchanged"
    sent.older.append(
        Older(
            sent.version,
            sent.rows,
            [name for name, _sha in sent.documents],
            sent.changed_at or sent.submitted_at,
            sent.late,
            sent.fields,
        )
    )
    moved_from = "" if fields["email"] == sent.fields["email"] else sent.fields["email"]
    sent.version += 1
    sent.fields, sent.documents = fields, documents
    sent.changed_at, sent.change_token, sent.late = world.now, form.token, late
    sent.receipts[sent.version] = Receipt(sent.link, fields["email"], moved_from)
    world.changes += 1
    return "changed late" if late else "changed"


def send_survey(world: World, form: Form, body: MultiDict) -> str:
    """Send a survey change's check page.

    While the change draft is the one the page came with, it is sent as any change: the
    grace rule, the link this browser came by, the version it was made from. Once the
    draft has gone (sent, opened again, withdrawn, or its link replaced), the page says
    what became of it: sent already; or, while this browser still holds the link, that
    it no longer works (404), that the response changed meanwhile (409), or that the
    change moved elsewhere; and, once it does not, that these changes ended."""
    sent, draft = form.sent, form.sent.draft
    browser = id(form.browser)
    held = world.changing.get(browser)
    link = held.link if held is not None and held.response == sent.id else None
    answer = post(form, body, [])
    form.body = (body, [])
    status = answer.status_code
    if held is not None and held.token == form.token:
        world.changing[browser] = None  # the change ends here, whatever comes of it
    if draft is not None and draft.token == form.token:
        late = world.admitted("survey", min(draft.started_at, form.loaded_at))
        if late is None:
            world.changing[browser] = held
            assert status == 410, status
            return "closed"
        sent.draft = None
        if link != sent.link:
            assert status == 404, status
            return "link ended"
        if draft.version != sent.version:
            assert status == 409, status
            return "conflict"
        assert status == 303, (status, error_messages(answer))
        assert where(answer) == f"/your-response/{link}"
        return changed(world, form, draft.fields, [], late)
    assert status in (303, 404, 409), status
    if sent.living and form.token == sent.change_token:
        assert status == 303, status
        return "already"
    if link is None:
        assert status == 303 and where(answer) == f"{sv.SURVEY}/change-ended", status
        return "ended here"
    if sent.withdrawn or link != sent.link:
        assert status == 404, status
        return "gone"
    if form.version != sent.version:
        assert status == 409, status
        return "conflict"
    assert status == 303 and where(answer) == f"/your-response/{link}", status
    return "moved elsewhere"


def conflict_page(world: World, form: Form, answer) -> None:
    """The page a conflict gives holds the form again, from the version there is now,
    with what was typed: the respondent may send it from there."""
    held = stamped_form(page(answer))
    again = Form(form.sent, form.kind, form.link, form.browser, sent_by(held), [], form.loaded_at)
    assert again.version == form.sent.version
    for box in held.find_all("input", attrs={"name": "remove"}):
        name = " ".join(held.find("label", attrs={"for": box["id"]}).get_text().split())
        again.listed.append((name.removeprefix("Remove "), box["value"]))
    # Ticked boxes come back ticked: start from none, as the respondent will choose.
    again.shown.poplist("remove")
    world.forms.append(again)


# --- the steps ----------------------------------------------------------------------------------


def forms_of(sent: Sent) -> list[str]:
    """The forms a response can be changed with: its change form, and the publication
    form if it has a publication choice (a message has none)."""
    return [sent.channel] if sent.channel == "contact" else [sent.channel, "publication"]


def mostly(data: st.DataObject, label: str) -> bool:
    """True, but for one time in three."""
    return data.draw(st.integers(0, 2), label=label) < 2


def change_choices(kind: str) -> dict[str, st.SearchStrategy]:
    """The valid values of each field of a change form."""
    return EVIDENCE_EDITS if kind == "evidence" else MESSAGE_EDITS


def typed_in(data: st.DataObject, form: Form):
    """What the respondent does to a form: valid edits (now and then none), documents
    removed and added; or, once in a while, an edit the form refuses."""
    if form.kind == "publication":
        return {"publish": data.draw(st.sampled_from(PUBLISH), label="publish")}, [], [], False
    if form.kind == "survey":  # changed on the survey's pages, before its check page
        return {}, [], [], False
    if data.draw(st.integers(0, 11), label="refused?") == 11:
        return REFUSED[form.kind], [], [], True
    changes = data.draw(edits(change_choices(form.kind)), label="edits")
    removed, uploads = [], []
    if form.kind == "evidence":
        if form.listed and mostly(data, "remove any?"):
            indexes = st.integers(0, len(form.listed) - 1)
            removed = data.draw(st.lists(indexes, min_size=1, max_size=2, unique=True))
        room = min(MAX_FILES - len(form.listed) + len(removed), 2)
        least = int(room > 0 and mostly(data, "add any?"))
        added = st.lists(st.sampled_from(DOCUMENTS), min_size=least, max_size=room)
        uploads = [as_upload(document) for document in data.draw(added, label="added")]
    return changes, removed, uploads, False


def change(world: World, data: st.DataObject) -> None:
    """Open a change form (or the publication form) and send it."""
    sent = pick(data, world, "change which")
    kinds = forms_of(sent)
    kind = data.draw(st.sampled_from(kinds), label="form")
    form = load(world, data, sent, kind, browser_for(data, world, sent))
    if form is None:
        return
    world.wait()
    sends(world, data, form)


def sends(world: World, data: st.DataObject, form: Form) -> None:
    """Type into the form and send it; then the site must be as the model says (a step
    may send more than one form)."""
    changes, removed, uploads, refused = typed_in(data, form)
    outcome = send(world, form, body_of(form, changes, removed), uploads, refused)
    note(f"{form.kind} of {form.sent.reference} sent: {outcome}")
    event(f"{form.kind}: {outcome}")
    check(world)


def opens_a_form(world: World, data: st.DataObject) -> None:
    """Open a form and leave it for now, as in a tab kept open."""
    sent = pick(data, world, "open which")
    kinds = forms_of(sent)
    kind = data.draw(st.sampled_from(kinds), label="form")
    load(world, data, sent, kind, browser_for(data, world, sent))


def two_tabs(world: World, data: st.DataObject) -> None:
    """The response opened in two tabs, or on two devices, and both sent: the one sent
    second was loaded before the first one's change."""
    sent = pick(data, world, "open which")
    kinds = forms_of(sent)
    tabs = [
        load(world, data, sent, data.draw(st.sampled_from(kinds)), browser_for(data, world, sent))
        for _ in range(2)
    ]
    world.wait()
    for form in data.draw(st.permutations(tabs), label="order sent"):
        if form is not None:
            sends(world, data, form)


def sends_an_open_form(world: World, data: st.DataObject) -> None:
    """Send a form opened earlier and not sent yet: perhaps stale by now."""
    waiting = [form for form in world.forms if form.body is None]
    if not waiting:
        return
    form = data.draw(st.sampled_from(waiting), label="open form")
    world.wait()
    sends(world, data, form)


def sends_again(world: World, data: st.DataObject) -> None:
    """Send a form that was sent already, just as it was: a double tap or a refresh."""
    done = [form for form in world.forms if form.body is not None]
    if not done:
        return
    form = data.draw(st.sampled_from(done), label="sent form")
    body, uploads = form.body
    world.clock.advance(seconds=1)
    refused = body.get("evidence", "x").strip() == "" or body.get("subject", "x") == ""
    outcome = send(world, form, body, uploads, refused)
    note(f"{form.kind} of {form.sent.reference} sent again: {outcome}")
    event(f"again: {outcome}")


def withdraws(world: World, data: st.DataObject, sent: Sent | None = None) -> None:
    """Withdraw a response after reading what that does; now and then, press it twice."""
    sent = sent or pick(data, world, "withdraw which")
    browser = browser_for(data, world, sent)
    url = f"/your-response/{sent.link}/withdraw"
    shown = browser.get(url)
    if sent.withdrawn:
        assert shown.status_code == 404
        return
    assert shown.status_code == 200
    world.wait()
    presses = data.draw(st.integers(1, 2), label="presses")
    for _ in range(presses):
        answer = browser.post(url, data=sent_by(stamped_form(page(shown))))
        assert answer.status_code == 303, answer.status_code
        assert where(answer) == WITHDRAWN
    assert browser.get(WITHDRAWN).status_code == 200
    sent.withdrawn, sent.draft = True, None
    world.withdrawn_here[id(browser)] = sent.link
    world.withdrawals += 1
    note(f"{sent.reference} withdrawn")
    event(f"withdrawn, pressed {presses}x")


def interrupted_change(world: World, data: st.DataObject) -> None:
    """A change opened in one tab; in another the response is withdrawn, or new links
    are asked for its address; then the change is sent, and finds nothing to change."""
    sent = pick(data, world, "which")
    kind = data.draw(st.sampled_from(forms_of(sent)), label="form")
    form = load(world, data, sent, kind, browser_for(data, world, sent))
    if data.draw(st.booleans(), label="withdrawn rather than new links?"):
        withdraws(world, data, sent)
    else:
        world.clock.advance(minutes=LINKS_WINDOW // 60)  # not asked for in this window yet
        asks_for_links(world, data, sent.fields["email"])
    check(world)
    if form is not None:
        world.wait()
        sends(world, data, form)


def withdraws_again(world: World, data: st.DataObject) -> None:
    """The withdrawal sent again: the browser that withdrew the response is shown that it
    is withdrawn; for any other, the link opens nothing."""
    gone = [sent for sent in world.sent if sent.withdrawn]
    if not gone:
        return
    sent = data.draw(st.sampled_from(gone), label="withdrawn")
    browser = browser_for(data, world, sent)
    guards = sent_by(stamped_form(page(browser.get(NEW_LINK))))  # this browser's CSRF token
    guards.poplist("email")
    world.wait()
    answer = browser.post(f"/your-response/{sent.link}/withdraw", data=guards)
    here = world.withdrawn_here.get(id(browser)) == sent.link
    assert answer.status_code == (303 if here else 404), answer.status_code
    event("withdrawal sent again" + (" from the same browser" if here else " elsewhere"))


def asks_for_new_links(world: World, data: st.DataObject) -> None:
    """Ask for new links for an address; now and then, ask again some minutes later."""
    address = data.draw(st.sampled_from([*ADDRESSES, "cy@example.org"]), label="address")
    asks_for_links(world, data, address)
    if not mostly(data, "once?"):
        minutes = data.draw(st.sampled_from([1, 6, 14, 16]), label="minutes later")
        world.clock.advance(minutes=minutes)
        asks_for_links(world, data, address)


def asks_for_links(world: World, data: st.DataObject, address: str) -> None:
    """Ask for new links for an address: one email a window, for what it sent."""
    browser = world.other_device
    shown = browser.get(NEW_LINK)
    world.wait()
    answer = browser.post(NEW_LINK, data=with_email(sent_by(stamped_form(page(shown))), address))
    assert answer.status_code == 303 and where(answer) == NEW_LINK_SENT
    window = (address, int(world.now.timestamp() // LINKS_WINDOW))
    found = [sent for sent in world.living() if sent.fields["email"] == address]
    if window in world.links_emailed or not found:
        event("new links: none sent")
        return
    world.links_emailed.add(window)
    world.new_links += 1
    db.session.rollback()
    email = db.session.scalars(
        select(OutboxEmail).filter_by(kind="new_links").order_by(OutboxEmail.id.desc())
    ).first()
    emailed = links_in_new_links(email.body_text)
    assert set(emailed) == {sent.reference for sent in found}, email.body_text
    assert address in email.to_addr
    for sent in found:
        sent.old_links.append(sent.link)
        sent.link = token_of(emailed[sent.reference])
        sent.draft = None  # a survey change begun with the old link goes with it
    event("new links: sent")


def with_email(sent: MultiDict, address: str) -> MultiDict:
    """The new-link form as sent, with this address typed in."""
    sent["email"] = address
    return sent


def opens_a_link(world: World, data: st.DataObject) -> None:
    """Open a link, the current one or one it had before: only the current one works,
    and only while the response is not withdrawn."""
    sent = data.draw(st.sampled_from(world.sent), label="open which")
    link = data.draw(st.sampled_from([sent.link, *sent.old_links]), label="link")
    shown = browser_for(data, world, sent).get(f"/your-response/{link}")
    if sent.withdrawn or link != sent.link:
        assert shown.status_code == 404
        return
    assert shown.status_code == 200
    soup = page(shown)
    assert f"Your reference number is {sent.reference}" in " ".join(soup.get_text().split())
    change_url = f"/consultations/{SLUG}/{sent.channel}/change/{link}"
    offered = soup.find("a", href=change_url) is not None
    assert offered == world.takes_changes(sent.channel)


def time_passes(world: World, data: st.DataObject) -> None:
    """The clock moves on: a little, a lot, to just before the deadline, into the grace
    period after it, or past that."""
    closes, grace = world.consultation.closes_at, world.consultation.grace
    moves = {
        "minutes": lambda: world.now + timedelta(minutes=data.draw(st.integers(1, 90))),
        "days": lambda: world.now + timedelta(days=data.draw(st.integers(1, 10))),
        "deadline near": lambda: closes - timedelta(minutes=data.draw(st.integers(1, 10))),
        "in the grace": lambda: closes + timedelta(minutes=data.draw(st.integers(0, 29))),
        "after the grace": lambda: (
            closes + grace + timedelta(minutes=data.draw(st.integers(0, 60)))
        ),
    }
    move = data.draw(st.sampled_from(sorted(moves)), label="time")
    world.clock.set(max(world.now, moves[move]()))
    note(f"time: {move}, now {world.now.isoformat()}")


def the_deadline_passes_over_a_form(world: World, data: st.DataObject) -> None:
    """A change form opened in the last minutes before the deadline is sent after it:
    within the grace period (late), or after it (the closed page)."""
    closes = world.consultation.closes_at
    if world.now < closes - timedelta(minutes=10):
        world.clock.set(closes - timedelta(minutes=data.draw(st.integers(1, 10), label="before")))
    sent = pick(data, world, "open which")
    form = load(world, data, sent, sent.channel, browser_for(data, world, sent))
    # The grace is 30 minutes: on its edges, and well within and after it.
    minutes = data.draw(st.sampled_from([30, 29, 0, 12, 31, 45]), label="minutes after")
    after = timedelta(minutes=minutes)
    world.clock.set(max(world.now + WAIT, closes + after))
    event("the deadline passed")
    if form is not None:
        sends(world, data, form)


STEPS = [
    (change, 6),
    (opens_a_form, 2),
    (two_tabs, 2),
    (sends_an_open_form, 3),
    (sends_again, 3),
    (withdraws, 2),
    (interrupted_change, 2),
    (withdraws_again, 1),
    (asks_for_new_links, 2),
    (opens_a_link, 1),
    (time_passes, 2),
]
WEIGHTED = [step for step, weight in STEPS for _ in range(weight)]


# --- what must hold after every step ------------------------------------------------------------


def stored(sent: Sent) -> Response | None:
    """The response row with the id the model knows it by, if there is one."""
    return db.session.get(Response, sent.id)


def check(world: World) -> None:
    """The database, the outbox, the disk and the counts are as the model says."""
    db.session.rollback()
    for sent in world.sent:
        if sent.withdrawn:
            check_gone(sent)
        else:
            check_living(sent)
    check_belongings(world)
    check_outbox(world)
    assert len(audited("respondent_change")) == world.changes
    assert len(audited("respondent_withdraw")) == world.withdrawals
    check_counts(world)
    db.session.rollback()


def check_living(sent: Sent) -> None:
    """The response reads as the model says, and keeps each version it replaced."""
    response = stored(sent)
    assert response is not None, sent.reference
    assert response.link_hash == links.link_hash(sent.link)
    assert {name: getattr(response, name) for name in sent.fields} == sent.fields
    assert [(a.original_name, a.sha256) for a in response.attachments] == sent.documents
    assert response.version == sent.version
    assert (response.late, response.changed_at) == (sent.late, sent.changed_at)
    assert response.change_token == sent.change_token
    kept = [
        Older(v.number, v.rows, v.documents, v.made_at, v.late)
        for v in db.session.scalars(
            select(ResponseVersion).filter_by(response_id=sent.id).order_by(ResponseVersion.number)
        )
    ]
    assert kept == sent.older
    for older in sent.older:  # each kept version says what that version said
        assert said(sent.channel, older.fields) <= {tuple(row) for row in older.rows}
    check_draft(sent)


PUBLISHED = {
    "named": "Yes, with my name",
    "anonymous": "Yes, anonymously",
    "no": "No, do not publish",
}


def said(channel: str, fields: dict[str, Any]) -> set[tuple[str, str]]:
    """Rows the receipt of a response with these fields lists, among others."""
    rows = {("Name", fields["name"]), ("Email address", fields["email"])}
    if channel == "contact":
        return rows | {
            ("What is your message about?", fields["subject"]),
            ("Your message", fields["message"]),
        }
    rows.add(("May we publish your response?", PUBLISHED[fields["publish"]]))
    if channel == "evidence":
        return rows | {("Evidence", fields["evidence_text"])}
    return rows | {("Which best describes you?", fields["answers"]["role"])}


def check_draft(sent: Sent) -> None:
    """A survey response has a change draft while a change is open, holding what the
    model says; none otherwise."""
    drafts = db.session.scalars(select(Response).filter_by(amends_id=sent.id)).all()
    assert len(drafts) == (sent.draft is not None)
    if sent.draft is not None:
        (draft,) = drafts
        assert {name: getattr(draft, name) for name in sent.fields} == sent.draft.fields
        assert (draft.version, draft.started_at) == (sent.draft.version, sent.draft.started_at)
        assert draft.token == sent.draft.token


def check_gone(sent: Sent) -> None:
    """Nothing of a withdrawn response is left. (Its id may be a new change draft's:
    SQLite gives the highest id again once its row is deleted.)"""
    assert db.session.scalars(select(Response).filter_by(reference=sent.reference)).all() == []
    if stored(sent) is None:
        check_draft(sent)


def check_belongings(world: World) -> None:
    """The versions, documents and counted choices in the database are those of the
    responses not withdrawn, and no others; so are the documents on disk."""
    living = {sent.id: sent for sent in world.living()}
    for model, expected in (
        (ResponseVersion, Counter({sent.id: len(sent.older) for sent in living.values()})),
        (Attachment, Counter({sent.id: len(sent.documents) for sent in living.values()})),
        (
            ChoiceAnswer,
            Counter(
                {
                    sent.id: len(charted(sent.fields["answers"]))
                    for sent in living.values()
                    if sent.channel == "survey"
                }
            ),
        ),
    ):
        owners = db.session.scalars(select(model.response_id)).all()
        assert Counter(owners) == +expected, model.__name__
    attachments = db.session.scalars(select(Attachment)).all()
    assert ev.files_on_disk(world.app) == sorted(a.stored_name for a in attachments)


def check_outbox(world: World) -> None:
    """One alert and one receipt for each version of a response not withdrawn, each
    receipt with the link that made it; a confirmation and an alert for each one
    withdrawn; the new-links emails due; and nothing else."""
    emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    expected: Counter[tuple[str, str]] = Counter()
    for sent in world.sent:
        kind = EMAIL_KINDS[sent.channel]
        if sent.withdrawn:
            expected[("withdrawn_alert", f"withdrawn-alert:{sent.reference}")] += 1
            expected[("withdrawn_receipt", f"withdrawn-receipt:{sent.reference}")] += 1
            continue
        for version in range(1, sent.version + 1):
            number = "" if version == 1 else f"v{version}:"
            for email_kind in ("alert", "receipt"):
                expected[(email_kind, f"{email_kind}:{kind}:{number}{sent.reference}")] += 1
    expected[("new_links", "new-links")] += world.new_links
    found = Counter((email.kind, without_ending(email)) for email in emails)
    assert found == expected
    receipts = {email.event_key: email for email in emails if email.kind == "receipt"}
    for sent in world.living():
        kind = EMAIL_KINDS[sent.channel]
        for version, receipt in sent.receipts.items():
            email = receipts[f"receipt:{kind}:v{version}:{sent.reference}"]
            assert token_of(link_in(email.body_text)) == receipt.link
            assert receipt.to in email.to_addr
            if receipt.moved_from:  # copied to the address it was sent from
                assert receipt.moved_from in email.cc_addr
            else:
                assert not email.cc_addr


def without_ending(email: OutboxEmail) -> str:
    """The event key, without the random ending of a withdrawal's or the address and
    window of new links."""
    if email.kind in ("withdrawn_alert", "withdrawn_receipt"):
        return email.event_key.rsplit(":", 1)[0]
    if email.kind == "new_links":
        return "new-links"
    return email.event_key


def check_counts(world: World) -> None:
    """The counts the admin area and the summaries give are those of the model."""
    consultation = db.session.get(Consultation, world.consultation.id)
    counts = Counter(COUNT_LABELS[sent.channel] for sent in world.living())
    expected = {label: counts[label] for label in COUNT_LABELS.values()} | {"Calls booked": 0}
    assert channels.submission_counts(consultation) == expected
    chosen: Counter[tuple[str, str]] = Counter()
    for sent in world.living():
        if sent.channel == "survey":
            rows = db.session.scalars(select(ChoiceAnswer).filter_by(response_id=sent.id))
            assert sorted((row.question_key, row.option) for row in rows) == charted(
                sent.fields["answers"]
            )
            chosen.update(charted(sent.fields["answers"]))
    charts = {
        (tally.question.key, option): count
        for tally in results.tallies(consultation)
        for option, count in tally.counts
        if count
    }
    assert charts == dict(chosen)


# --- the properties ------------------------------------------------------------------------------


def run(site: Flask, clock, data: st.DataObject, steps: int, deadline: int | None) -> None:
    """Respondents send their responses, then take `steps` steps, one of them (the one
    numbered `deadline`, if any) over the deadline; the model is checked after each."""
    consultation = start_afresh(site, clock)
    consultation.messages_after_close = data.draw(st.booleans(), label="messages after close")
    db.session.commit()
    world = World(site, clock, consultation, new_browser(site, Browser))
    sends_responses(world, data)
    check(world)
    for number in range(steps):
        step = data.draw(st.sampled_from(WEIGHTED), label="step")
        if number == deadline:
            step = the_deadline_passes_over_a_form
        step(world, data)
        check(world)


@SEQUENCES
@given(data=st.data())
def test_any_sequence_of_changes_and_withdrawals_leaves_what_the_model_says(site, clock, data):
    """Mostly while the consultation is open; now and then the clock passes its close."""
    steps = data.draw(st.integers(8, 16), label="steps")
    run(site, clock, data, steps, deadline=None)


@CLOSING
@given(data=st.data())
def test_through_the_deadline_changes_end_but_publication_and_withdrawal_go_on(site, clock, data):
    """The same, with the deadline passing over a change form opened just before it:
    the change is late in the grace period and refused after it, and after the close
    every step but a change (or a message, when messages are taken then) goes on."""
    steps = data.draw(st.integers(6, 12), label="steps")
    run(site, clock, data, steps, deadline=data.draw(st.integers(1, steps // 2), label="when"))
