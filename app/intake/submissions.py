"""What every way of responding shares: the deadline's grace rule, the secret tokens
that tie a second send to the first, references, and the guards against bots.

Survey, evidence and messages all call these, so the rules are written once. (A
survey spots a second send by its draft row changing from draft to sent once; evidence
and messages, sent in one go, are unique by the token their form carries: store_once.)
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache

from flask import abort, current_app, request, session
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from app.consultations.lifecycle import Acceptance, Override, State, accept_submission
from app.consultations.lookup import open_channel_or_abort
from app.extensions import db
from app.intake import search
from app.models import SUBMITTED, Consultation, Response
from app.web.rendering import render_page, whole_page_for_htmx

log = logging.getLogger(__name__)

# Letters and digits nobody confuses when reading a reference aloud (no 0/O, 1/I/L, U/V).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_token() -> str:
    """An unguessable token for a draft or a form, safe in URLs."""
    return secrets.token_urlsafe(24)


def form_token(value: str | None) -> str:
    """The token a form carried, or a new one if it was missing or malformed."""
    return value if value and TOKEN_SHAPE.fullmatch(value) else new_token()


def token_taken(token: str) -> bool:
    """Whether any response (a survey draft, evidence, a message) already has this token."""
    return db.session.scalar(select(Response.id).filter_by(token=token)) is not None


def store_once(
    build: Callable[[str], Response],
    token: str,
    find: Callable[[str], Response | None],
    notify: Callable[[Response], None],
) -> tuple[Response, bool]:
    """Store the response `build(token)` makes and queue its emails, in one commit.

    Returns it and True; or, when the same form was sent twice at once and the other
    send won, that one and False. A token taken elsewhere gets the form a new one, and
    a clash of references (`build` draws one each time) is drawn again.
    """
    for _attempt in range(5):
        response = build(token)
        search.index(response)
        try:
            db.session.add(response)
            db.session.flush()
            notify(response)
            db.session.commit()
            return response, True
        except IntegrityError:
            db.session.rollback()
            existing = find(token)
            if existing is not None:
                return existing, False
            if token_taken(token):
                token = new_token()
    raise RuntimeError("could not store the response under a free reference")


def new_reference(prefix: str) -> str:
    """A short reference to quote, like SV-7K2QX9."""
    return prefix + "-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def remember_sent(consultation: Consultation, response: Response) -> None:
    """Keep the reference of what this browser sent, for its confirmation page."""
    key = f"{response.channel}_done"
    done = dict(session.get(key, {}))
    done[str(consultation.id)] = response.reference
    session[key] = done


def last_sent(consultation: Consultation, channel: str) -> Response | None:
    """What this browser last sent through `channel` to the consultation, if anything."""
    reference = session.get(f"{channel}_done", {}).get(str(consultation.id))
    if not reference:
        return None
    values = {"consultation_id": consultation.id, "channel": channel, "reference": reference}
    return db.session.scalar(_sent_with_reference(), values)


@cache
def _sent_with_reference() -> Select:
    """The query of every confirmation page, built once: building it cost more than running it."""
    return select(Response).where(
        Response.consultation_id == bindparam("consultation_id"),
        Response.channel == bindparam("channel"),
        Response.reference == bindparam("reference"),
    )


def count_sent(consultation: Consultation, channel: str) -> int:
    """How many responses the consultation has received through `channel`."""
    return db.session.scalar(
        select(func.count(Response.id)).filter_by(
            consultation_id=consultation.id, channel=channel, status=SUBMITTED
        )
    )


def _stamp_serializer() -> URLSafeSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@lru_cache(maxsize=4)
def _serializer_for(secret_key: str) -> URLSafeSerializer:
    # Kept per key: making one (its signer, its JSON settings) cost half of each stamp.
    return URLSafeSerializer(secret_key, salt="form-loaded-at")


def stamp(now: datetime) -> str:
    """A signed record of when a form was served, carried in the form."""
    return _stamp_serializer().dumps(now.astimezone(UTC).isoformat())


def keep_or_stamp(field, now: datetime) -> None:
    """Stamp a form's `loaded` field as served now, unless the form is being shown again
    after an error: then it keeps the time it was first loaded, from which the grace
    period and the bot guard's minimum time count."""
    if read_stamp(field.data) is None:
        field.data = stamp(now)


def read_stamp(value: str | None) -> datetime | None:
    """When the form was served, or None if the stamp is missing or was tampered with."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(_stamp_serializer().loads(value))
    except (BadSignature, ValueError, TypeError):
        return None
    return moment if moment.tzinfo else None


def acceptance(consultation: Consultation, now: datetime, loaded_at: datetime | None) -> Acceptance:
    """On time, late (inside the grace period) or refused, for a form loaded at `loaded_at`."""
    return accept_submission(
        consultation.opens_at,
        consultation.closes_at,
        Override(consultation.override),
        now,
        loaded_at,
        consultation.grace,
    )


def admit(
    consultation: Consultation,
    channel: str,
    now: datetime,
    loaded_at: datetime | None,
    written: Callable[[], list[tuple[str, str]]] | None = None,
    response_url: str | None = None,
) -> bool:
    """Let a request through while the consultation takes responses; True when it is late.

    Someone whose form (or survey) was started before the deadline may send it through
    the grace period. After that they get the closed page (410), which shows what
    `written()` gives, what they had typed, so that they can copy it. It is only called
    then, so open consultations do not pay for it. A change to a response sent gives
    `response_url`, the respondent's page, which the closed page links back to. Stops
    the request otherwise.
    """
    if consultation.state(now) is not State.CLOSED:
        open_channel_or_abort(consultation, channel, now)
        return False
    if acceptance(consultation, now, loaded_at) is Acceptance.LATE:
        return True
    page = render_page(
        "public/closed_kept.html",
        status=410,
        consultation=consultation,
        deadline_passed=now >= consultation.closes_at,
        kept=written() if written else [],
        response_url=response_url,
    )
    abort(whole_page_for_htmx(page))


@dataclass(frozen=True)
class BotCheck:
    """What the spam guards look at: the hidden field and how fast the form came back."""

    honeypot: str
    loaded_at: datetime | None
    now: datetime
    min_seconds: float

    def reason(self) -> str | None:
        """Why this looks automated, or None when it looks like a person."""
        if self.honeypot.strip():
            return "honeypot filled in"
        if self.loaded_at is None:
            return "form stamp missing or altered"
        if self.now - self.loaded_at < timedelta(seconds=self.min_seconds):
            return "sent too soon after the form was loaded"
        return None


def looks_automated(
    honeypot: str | None,
    loaded_at: datetime | None,
    now: datetime,
    min_seconds: float | None = None,
) -> bool:
    """Apply the guards, and log what tripped them so the team can see bots at work.

    `min_seconds` defaults to SUBMIT_MIN_SECONDS; a survey page that a person may
    answer with one tap passes 0 and relies on the other guards.
    """
    if min_seconds is None:
        min_seconds = current_app.config["SUBMIT_MIN_SECONDS"]
    check = BotCheck(honeypot or "", loaded_at, now, min_seconds)
    reason = check.reason()
    if reason:
        log.warning(
            "Refused a submission that looks automated (%s): %s from %s",
            reason,
            request.path,
            request.remote_addr,
        )
    return reason is not None


def submit_rate_limit() -> str:
    """The per-address limit on sending a response (Flask-Limiter syntax)."""
    return current_app.config["RATELIMIT_SUBMIT"]
