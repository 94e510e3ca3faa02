"""The database tables, typed with SQLAlchemy 2: consultations, responses, calls, staff,
the outbox and email updates here; news and readers' comments in `news.py`; the column
types every table shares in `types.py`."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.calls import rules
from app.consultations.lifecycle import Override, State, state_at
from app.extensions import db
from app.models.types import LARGEST_ID, UTCDateTime, new_stamp, utcnow  # noqa: F401 (LARGEST_ID for app.web)

CHANNELS = ("survey", "evidence", "contact")
DRAFT, SUBMITTED = "draft", "submitted"
BOOKED, CANCELLED = "booked", "cancelled"
ADMIN, OFFICER = "admin", "officer"
ROLES = (ADMIN, OFFICER)


class Consultation(db.Model):
    """One time-boxed consultation and the ways it offers to take part."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    override: Mapped[str] = mapped_column(String(10), default=Override.AUTO.value)
    # When an admin last opened or closed it by hand: the moment its followers are told of.
    override_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grace_minutes: Mapped[int] = mapped_column(Integer, default=30)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    officer_name: Mapped[str] = mapped_column(String(200))
    officer_email: Mapped[str] = mapped_column(String(254))
    officer_phone: Mapped[str] = mapped_column(String(40), default="")
    # "instant": an email per submission; "daily": one digest a day.
    alert_mode: Mapped[str] = mapped_column(String(10), default="instant", server_default="instant")
    # The evidence section of the consultation file, kept as given.
    evidence_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # Whether "get in touch" stays available once the consultation has closed.
    messages_after_close: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    bookings_after_close: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # "You said, we did": what came of the consultation, shown on its page once published.
    outcome: Mapped[str] = mapped_column(Text, default="", server_default="")
    outcome_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None while the consultation is a draft: the public cannot see it.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Goes up by one with every save of the settings form, so that of two admins editing
    # at once the second is told instead of overwriting the first.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A new random number with every insert, change or deletion of one of its questions,
    # so that copies of them kept between requests are known to be out of date
    # (app/survey/questions.py). Random, not counted, so that a consultation made with
    # the id of a deleted one never matches the deleted one's copies.
    questions_stamp: Mapped[int] = mapped_column(BigInteger, default=new_stamp, server_default="0")
    # The number of the survey's newest SurveyVersion, which respondents now answer; 0
    # while it has none.
    survey_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The SHA-256 of the private preview link's token, and when that link was made.
    preview_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    preview_made_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="consultation",
        cascade="all, delete-orphan",
        order_by="(Question.page, Question.position)",
    )

    def state(self, now: datetime) -> State:
        """Forthcoming, open or closed at `now`."""
        return state_at(self.opens_at, self.closes_at, Override(self.override), now)

    @property
    def grace(self) -> timedelta:
        """How long after the deadline a form loaded in time may still be sent."""
        return timedelta(minutes=self.grace_minutes)

    def offers(self, channel: str) -> bool:
        """Whether this consultation offers that way to take part."""
        return channel in (self.channels or [])

    def settings_changed(self) -> None:
        """Count a change to what the settings form shows, made anywhere, so that a form
        opened before it is refused instead of quietly undoing it."""
        self.version = Consultation.version + 1

    @property
    def is_draft(self) -> bool:
        """A draft is seen only by staff and through its preview link."""
        return self.published_at is None


class Question(db.Model):
    """One survey question, placed on a page, shown only when its show_if matches."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(80))
    page: Mapped[int] = mapped_column(Integer)
    page_title: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Type-specific settings (max_length, scale labels, allow_other...).
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    show_if: Mapped[dict] = mapped_column(JSON, default=dict)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")

    __table_args__ = (db.UniqueConstraint("consultation_id", "key"),)


class SurveyVersion(db.Model):
    """A survey's questions as respondents were asked them, in the file's `survey` shape.

    A change to questions nobody has answered yet replaces the newest version; once a
    response or a draft has answered it, a change makes the next one. So every response
    is read with the words and options it was answered with (app/survey/versions.py).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    survey: Mapped[dict] = mapped_column(JSON)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (db.UniqueConstraint("consultation_id", "number"),)


class Response(db.Model):
    """One respondent's survey, evidence or message: a draft until it is submitted.

    `token` is the secret that finds a draft from the session cookie and makes a double
    submit land on the same row; a survey's emailed link finds it by `resume_hash`.
    `reference` is given on submission and is what the respondent and the officer quote.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))  # "survey", "evidence" or "contact"
    status: Mapped[str] = mapped_column(String(12), default=DRAFT)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # A survey draft's emailed "continue later" link: the SHA-256 of its token, so the
    # database holds no working link. Opening the link clears it (the link works once),
    # and asking for a new link replaces it.
    resume_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Survey answers by question key: text, a number, or a list for multiple choice.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Survey pages the respondent has sent, so a returning one carries on where they were.
    pages_done: Mapped[list[int]] = mapped_column(JSON, default=list)
    respond_as: Mapped[str] = mapped_column(String(20), default="")  # individual, organisation
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    respondent_type: Mapped[str] = mapped_column(String(200), default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    evidence_text: Mapped[str] = mapped_column(Text, default="")
    # A message to the policy officer ("contact"): what it is about, the text, and
    # whether the respondent wants a call (booked through Booking).
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    subject: Mapped[str] = mapped_column(String(200), default="", server_default="")
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    wants_call: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    consent: Mapped[bool] = mapped_column(default=False)
    publish: Mapped[str] = mapped_column(String(12), default="")  # named, anonymous, no
    late: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Every word of the response, casefolded, for the admin's search (app.search).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When the retention purge removed the respondent's personal details.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The respondent's private link from their receipt, to view, change or withdraw the
    # response: the SHA-256 of its token. None once withdrawn or purged, and for drafts.
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    # The respondent's changes: the current version's number (1 as first sent), when
    # they last changed it, and the token of the form that made that change, so that
    # the same form sent twice makes one change.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    change_token: Mapped[str | None] = mapped_column(String(64))
    # The SurveyVersion a survey response answered: the one in force when it was last
    # saved or sent. None for the other channels.
    survey_version: Mapped[int | None] = mapped_column(Integer)
    # A survey draft that changes a sent response rather than making a new one: the
    # response it changes. One change in progress per response.
    amends_id: Mapped[int | None] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), unique=True
    )

    consultation: Mapped[Consultation] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    tags: Mapped[list[Tag]] = relationship(secondary="response_tag", order_by="Tag.name")
    notes: Mapped[list[Note]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Note.id"
    )
    versions: Mapped[list[ResponseVersion]] = relationship(
        back_populates="response",
        cascade="all, delete-orphan",
        order_by="ResponseVersion.number",
        foreign_keys="ResponseVersion.response_id",
    )

    __table_args__ = (
        db.Index("ix_response_listing", "consultation_id", "channel", "status", "submitted_at"),
        db.Index("ix_response_recent", "consultation_id", "status", "submitted_at"),
    )

    @property
    def is_submitted(self) -> bool:
        return self.status == SUBMITTED


class ResponseVersion(db.Model):
    """A version of a response that its respondent has since changed, as it read then.

    The current version is the response itself. Each older one keeps the rows the
    receipt listed and the documents' names, so the admin sees what changed and when.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    # When this version was sent: the response's first sending, or an earlier change.
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(default=False)
    # [[label, value], ...] as the receipt listed them, and the documents' names.
    rows: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)

    response: Mapped[Response] = relationship(back_populates="versions")

    __table_args__ = (db.UniqueConstraint("response_id", "number"),)


class Attachment(db.Model):
    """A document sent with written evidence, stored under a random name in instance/."""

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    file_type: Mapped[str] = mapped_column(String(10))  # pdf, docx, odt, txt: from its content
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    response: Mapped[Response] = relationship(back_populates="attachments")


class Tag(db.Model):
    """A code the consultation team sorts responses by ("coding" responses)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship()

    __table_args__ = (db.UniqueConstraint("consultation_id", "name"),)


response_tag = db.Table(
    "response_tag",
    db.Column("response_id", ForeignKey("response.id", ondelete="CASCADE"), primary_key=True),
    db.Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Note(db.Model):
    """A private note on a response, for the consultation team only."""

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(254))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="notes")


class ChoiceAnswer(db.Model):
    """One option a survey respondent chose, kept apart from the answers' JSON so that
    counting them for a chart is one indexed query on any database."""

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(80))
    option: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        db.Index("ix_choice_answer_count", "consultation_id", "question_key", "option"),
        # How many answered each question, counted without a temporary sort.
        db.Index("ix_choice_answer_answered", "consultation_id", "question_key", "response_id"),
    )


class Slot(db.Model):
    """A time the policy officer has published for calls about one consultation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship()

    __table_args__ = (db.UniqueConstraint("consultation_id", "starts_at"),)


# Only a booked booking holds its slot (and its message's one call): cancelled ones stay
# for the record. These partial unique indexes are what stop two people holding one slot.
_BOOKED_ONLY = text("status = 'booked'")


class Booking(db.Model):
    """A call booked in one slot, for the respondent who sent one message.

    Moving the call changes its slot and raises `sequence`, keeping `uid`, so calendar
    apps update the event they have. The times are copied from the slot, so a cancelled
    booking keeps them after the officer removes the slot.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default=BOOKED)
    uid: Mapped[str] = mapped_column(String(200), unique=True)  # the calendar event's UID
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str] = mapped_column(String(20), default="")  # respondent, officer

    response: Mapped[Response] = relationship()
    slot: Mapped[Slot | None] = relationship()

    __table_args__ = (
        db.Index(
            "uq_booking_slot_booked",
            "slot_id",
            unique=True,
            sqlite_where=_BOOKED_ONLY,
            postgresql_where=_BOOKED_ONLY,
        ),
        db.Index(
            "uq_booking_response_booked",
            "response_id",
            unique=True,
            sqlite_where=_BOOKED_ONLY,
            postgresql_where=_BOOKED_ONLY,
        ),
    )

    @property
    def is_booked(self) -> bool:
        return self.status == BOOKED

    def changeable(self, now: datetime) -> bool:
        """Whether the respondent or the officer may still move or cancel it: booked and
        not started."""
        return self.is_booked and rules.changeable(self.starts_at, now)

    def reminder_due(self, now: datetime) -> bool:
        """Whether both are to be reminded of it now (see calls.rules.reminder_due)."""
        return rules.reminder_due(self.starts_at, self.updated_at, now)


class AdminUser(UserMixin, db.Model):
    """Someone who may sign in to the admin area."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default=ADMIN)  # admin or officer
    # Part of the id kept in the session: changing it ends every session of this user,
    # including copies of the cookie taken before signing out.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session: the user and their session token."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Sign this user out everywhere."""
        self.session_token = secrets.token_hex(16)

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password, never the password; end other sessions."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        """Whether `password` matches the stored hash; never for someone invited who has
        not chosen a password yet."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)


def admin_with_email(email: str) -> AdminUser | None:
    """The admin user with this email address, whatever its case, in any alphabet.

    Compared in Python because SQLite's lower() folds only ASCII letters; there are
    few admin users, so reading them all costs nothing.
    """
    wanted = email.strip().casefold()
    users = db.session.scalars(db.select(AdminUser).order_by(AdminUser.id))
    return next((user for user in users if user.email.casefold() == wanted), None)


class AuditEvent(db.Model):
    """Who did what to which consultation, and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL"), index=True
    )
    detail: Mapped[str] = mapped_column(Text, default="")

    consultation: Mapped[Consultation | None] = relationship()


class OutboxEmail(db.Model):
    """An email to send, written in the same transaction as the event that caused it.

    `event_key` names that event ("receipt:evidence:EV-7K2Q"): being unique, one
    event can never queue two emails. Workers claim a row by moving it from
    pending to sending with a lease, so two workers never send one email.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL"), index=True
    )
    to_addr: Mapped[str] = mapped_column(String(254))
    cc_addr: Mapped[str] = mapped_column(String(254), default="")
    reply_to: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # [{"filename", "content_type", "data" (base64)}]
    attachments: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # Structured facts about the event, kept for the daily digest.
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An email only worth sending until then (a reminder, before its call): after it,
    # the worker withdraws it instead.
    send_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whom it went to and what it said are removed once it is sent: an email to someone
    # who asked for their details to be deleted, such as the confirmation of a withdrawal.
    forget_when_sent: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # An update to a subscriber: the mailing it belongs to, whom it is for (so that
    # unsubscribing stops it even once queued) and the one-click unsubscribe link that
    # goes in its List-Unsubscribe header (RFC 8058).
    mailing_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailing.id", ondelete="SET NULL"), index=True
    )
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriber.id", ondelete="SET NULL"), index=True
    )
    unsubscribe_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation | None] = relationship()

    __table_args__ = (db.Index("ix_outbox_email_due", "status", "next_attempt_at"),)


PENDING_SUBSCRIBER, CONFIRMED, UNSUBSCRIBED = "pending", "confirmed", "unsubscribed"


class Subscriber(db.Model):
    """An email address that asked for updates: pending until its confirmation link is
    followed, then confirmed. Unsubscribing keeps only the address's hash, so that the
    address is known to have left."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # The SHA-256 of the address as compared (app.updates.subscriptions.address_hash).
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    status: Mapped[str] = mapped_column(String(12), default=PENDING_SUBSCRIBER, index=True)
    # Wants the site's own updates, not only news of the consultations it follows.
    site_updates: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Consent to the site's updates: when, from which page, and the wording agreed to.
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_source: Mapped[str] = mapped_column(String(200), default="", server_default="")
    consent_wording: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # The SHA-256 of the confirmation link's token, while one is waiting to be followed.
    confirm_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The last sign-up: an address not confirmed within a week of it is deleted.
    signed_up_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last email this address was sent because someone typed it into a form:
    # at most one per NOTICE_EVERY, so a form cannot be used to flood an inbox.
    noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    follows: Mapped[list[Follow]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def confirmed(self) -> bool:
        return self.status == CONFIRMED


class Follow(db.Model):
    """A subscriber following one consultation, with the consent it was given with."""

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    consent_source: Mapped[str] = mapped_column(String(200), default="", server_default="")
    consent_wording: Mapped[str] = mapped_column(String(40), default="", server_default="")

    subscriber: Mapped[Subscriber] = relationship(back_populates="follows")
    consultation: Mapped[Consultation] = relationship()

    __table_args__ = (db.UniqueConstraint("subscriber_id", "consultation_id"),)


class Mailing(db.Model):
    """An email to many: an update an admin wrote, or news of a consultation the clock
    made due (it opened, a week is left, it closed, its outcome is out).

    Its emails are queued once: `queued_at` is set by the one transaction that queues them,
    and an announcement's `key` ("opened:12") is unique.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    # "subscribers" (everyone signed up to the site's updates) or "followers" (of one
    # consultation); an update's audience is chosen when it is sent.
    audience: Mapped[str] = mapped_column(String(12), default="", server_default="")
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(String(200), default="", server_default="")
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by: Mapped[str] = mapped_column(String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queued_by: Mapped[str] = mapped_column(String(254), default="", server_default="")
    recipients: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    consultation: Mapped[Consultation | None] = relationship()


def record_audit(actor: str, action: str, consultation: Consultation | None, detail: str) -> None:
    """Add an audit event to the current transaction."""
    db.session.add(AuditEvent(actor=actor, action=action, consultation=consultation, detail=detail))


# Imported last: its tables name the ones above.
from app.models.news import (  # noqa: E402, F401
    Comment,
    CommentReport,
    NewsPost,
    Reader,
    ReaderSession,
    ReaderSignIn,
)
