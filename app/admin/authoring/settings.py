"""Creating a draft and saving a consultation's settings, each in one commit with its
audit event; and what moving the dates of a published consultation does to its respondents.

The settings come as a checked ConsultationSpec (the consultation file's own checks), so
a form, a file and a test all save the same way.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.admin.consultation_settings import ALERT_MODE_LABELS
from app.admin.forms import quoted
from app.consultations.files import ConsultationSpec, apply_settings
from app.consultations.lifecycle import Override, State, state_at
from app.evidence.services import settings as evidence_settings
from app.extensions import db
from app.formatting import timefmt
from app.intake import channels
from app.models import DRAFT, Consultation, Response, record_audit

SLUG_LENGTH = 80
# /admin/consultations/new is the page that creates one, so no consultation may be called so.
RESERVED_SLUGS = frozenset({"new"})
SHOWN_TEXT = 60  # characters of a long text the audit log shows before and after a change


class SlugTaken(Exception):
    """The web address is another consultation's (or reserved)."""

    # Where the slug goes in the site's addresses.
    PATH = "/consultations/"

    def __init__(self, slug: str, title: str) -> None:
        super().__init__(slug)
        self.slug = slug
        self.title = title

    @property
    def message(self) -> str:
        """What the web address field says."""
        if not self.title:
            return f"The web address {self.PATH}{self.slug} is kept for the site. Enter another"
        return (
            f"The web address {self.PATH}{self.slug} is already used by"
            f" '{self.title}'. Enter another"
        )


class EditConflict(Exception):
    """Someone saved the consultation since the form was loaded: nothing was saved."""


# --- Web addresses ------------------------------------------------------------------------


def slug_from_title(title: str) -> str:
    """A web address made of the title's letters and digits ("Local services, 2027" ->
    "local-services-2027"); empty when the title has none in the Latin alphabet."""
    plain = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", plain.lower())
    return "-".join(words)[:SLUG_LENGTH].rstrip("-")


def no_slug_made_from(title: str) -> str:
    """What the web address field says when none was typed and the title gives none."""
    return (
        "Enter a web address, like local-services-2027. It cannot be made from the title"
        f" {quoted(title)}, which has no letters from a to z or digits"
    )


def free_slug(title: str, consultation_id: int | None = None) -> str:
    """The title's web address, or with -2, -3… if another consultation has it; empty when
    the title gives none."""
    base = slug_from_title(title)
    if not base:
        return ""
    for number in itertools.count(1):
        ending = f"-{number}" if number > 1 else ""
        candidate = base[: SLUG_LENGTH - len(ending)].rstrip("-") + ending
        if slug_owner(candidate, consultation_id) is None:
            return candidate
    raise AssertionError("unreachable")


def slug_owner(slug: str, consultation_id: int | None = None) -> str | None:
    """The title of the other consultation using `slug` ("" for a reserved one), or None
    when it is free."""
    if slug in RESERVED_SLUGS:
        return ""
    query = select(Consultation.title).where(Consultation.slug == slug)
    if consultation_id is not None:
        query = query.where(Consultation.id != consultation_id)
    return db.session.scalar(query)


# --- Saving -------------------------------------------------------------------------------


def create_draft(spec: ConsultationSpec, actor: str, now: datetime) -> Consultation:
    """A new consultation from `spec`, as a draft the public cannot see; raises SlugTaken."""
    taken = slug_owner(spec.slug)
    if taken is not None:
        raise SlugTaken(spec.slug, taken)
    consultation = Consultation(slug=spec.slug, published_at=None, created_at=now, updated_at=now)
    apply_settings(consultation, spec, created=True)
    db.session.add(consultation)
    record_audit(actor, "create", consultation, f"Created as a draft: {spec.title}")
    _commit_or_slug_taken(spec.slug)
    return consultation


def save_settings(
    consultation: Consultation, spec: ConsultationSpec, seen_version: int, actor: str, now: datetime
) -> bool:
    """Save `spec` over the settings the editor saw (`seen_version`), in one commit.

    One UPDATE raises the version only if it is still `seen_version`, so of two editors
    the second finds no row and gets EditConflict, with nothing saved (it waits for the
    first's commit on PostgreSQL, and SQLite has one writer at a time). The web address
    changes only while a draft. Returns whether anything changed; when nothing did, the
    version stays as it was. Raises SlugTaken if the new web address is another's.
    """
    bumped = db.session.execute(
        update(Consultation)
        .where(Consultation.id == consultation.id, Consultation.version == seen_version)
        .values(version=Consultation.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if bumped != 1:
        db.session.rollback()
        raise EditConflict(consultation.slug)
    zone = current_app.config["SITE_ZONE"]
    before = described(consultation, zone)
    if consultation.is_draft and spec.slug != consultation.slug:
        taken = slug_owner(spec.slug, consultation.id)
        if taken is not None:
            db.session.rollback()
            raise SlugTaken(spec.slug, taken)
        consultation.slug = spec.slug
    apply_settings(consultation, spec, created=False)
    changes = [
        f"{label}: {before[label]} → {value}"
        for label, value in described(consultation, zone).items()
        if before[label] != value
    ]
    if not changes:
        db.session.rollback()  # the version too: nobody else's edit need be refused
        return False
    consultation.version = seen_version + 1
    consultation.updated_at = now
    record_audit(actor, "change_settings", consultation, "; ".join(changes))
    _commit_or_slug_taken(consultation.slug)
    return True


def _commit_or_slug_taken(slug: str) -> None:
    """Commit; if another admin took the web address meanwhile, roll back and say so."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        taken = db.session.scalar(select(Consultation.title).where(Consultation.slug == slug))
        if taken is None:
            raise
        raise SlugTaken(slug, taken) from error


def described(consultation: Consultation, zone: ZoneInfo) -> dict[str, str]:
    """Each setting in words, as the audit log shows it before and after a change."""
    evidence = evidence_settings(consultation)
    documents = evidence["attachments"]
    labels = {channel.name: channel.title for channel in channels.all_channels()}
    return {
        "Title": consultation.title,
        "Web address": f"/consultations/{consultation.slug}",
        "Summary": _shortened(consultation.summary),
        "Page text": _shortened(consultation.body) or "none",
        "Opens": timefmt.local_time(consultation.opens_at, zone),
        "Deadline": timefmt.local_time(consultation.closes_at, zone),
        "Grace period": _minutes(consultation.grace_minutes),
        "Ways of taking part": ", ".join(
            labels.get(name, name) for name in consultation.channels or []
        )
        or "none",
        "Policy officer": consultation.officer_name,
        "Policy officer's email": consultation.officer_email or "none",
        "Policy officer's telephone": consultation.officer_phone or "none",
        "Respondent types": ", ".join(evidence["respondent_types"]),
        "Themes": ", ".join(evidence["topics"]) or "none",
        "Longest written evidence": f"{evidence['max_length']:,} characters",
        "Documents": (
            f"up to {documents['max_files']} of up to {documents['max_mb']} MB each, as "
            + (", ".join(kind.upper() for kind in documents["types"]) or "no type")
        ),
        "Messages after the close": "yes" if consultation.messages_after_close else "no",
        "Calls booked after the close": "yes" if consultation.bookings_after_close else "no",
        "Email alerts": ALERT_MODE_LABELS.get(consultation.alert_mode, consultation.alert_mode),
    }


def _minutes(count: int) -> str:
    return "1 minute" if count == 1 else f"{count:,} minutes"


def _shortened(text: str) -> str:
    """A long text's start, on one line, for the audit log."""
    line = " ".join((text or "").split())
    return line if len(line) <= SHOWN_TEXT else line[: SHOWN_TEXT - 1] + "…"


# --- Moving the dates of a published consultation -----------------------------------------


def surveys_in_progress(consultation: Consultation) -> int:
    """How many people have started the consultation's survey and not sent it yet."""
    return db.session.scalar(
        select(func.count())
        .select_from(Response)
        .where(
            Response.consultation_id == consultation.id,
            Response.channel == "survey",
            Response.status == DRAFT,
        )
    )


def date_change_impact(
    consultation: Consultation,
    new: tuple[datetime, datetime],
    now: datetime,
    when: str = "when you save",
) -> list[str]:
    """What moving the (opening time, deadline) of a published consultation to `new` does
    at `now`, in sentences; nothing for a draft. `when` says when it happens ("now", once
    it has)."""
    if consultation.is_draft:
        return []
    in_progress = surveys_in_progress(consultation) if consultation.offers("survey") else None
    old = (consultation.opens_at, consultation.closes_at)
    zone = current_app.config["SITE_ZONE"]
    override = Override(consultation.override)
    return date_change_summary(old, new, override, in_progress, zone, now, when)


def date_change_summary(
    old: tuple[datetime, datetime],
    new: tuple[datetime, datetime],
    override: Override,
    surveys_in_progress: int | None,
    zone: ZoneInfo,
    now: datetime,
    when: str = "when you save",
) -> list[str]:
    """What moving a consultation's (opening time, deadline) from `old` to `new` does at
    `now`, in sentences: empty when neither moves, or when it takes no responses before
    or after (nobody is affected, so nothing need be confirmed). `surveys_in_progress` is
    None when the consultation offers no survey."""
    (old_opens, old_closes), (new_opens, new_closes) = old, new
    before = state_at(old_opens, old_closes, override, now)
    after = state_at(new_opens, new_closes, override, now)
    if old == new or State.OPEN not in (before, after):
        return []
    said = [
        f"The {what} moves from {timefmt.local_time(was, zone)}"
        f" to {timefmt.local_time(will_be, zone)}."
        for what, was, will_be in (
            ("opening time", old_opens, new_opens),
            ("deadline", old_closes, new_closes),
        )
        if was != will_be
    ]
    if before is not State.OPEN:
        again = " again" if before is State.CLOSED else ""
        said.append(
            f"It opens{again} for responses {when}, until {timefmt.local_time(new_closes, zone)}."
        )
    elif after is State.FORTHCOMING:
        said.append(
            f"It stops taking responses {when},"
            f" until it opens at {timefmt.local_time(new_opens, zone)}."
        )
    elif after is State.CLOSED:
        said.append(f"The new deadline has passed, so it closes {when}.")
    if surveys_in_progress is not None:
        said.append(_in_progress(surveys_in_progress))
    return said


def _in_progress(count: int) -> str:
    if count == 0:
        return "Nobody has a survey in progress."
    if count == 1:
        return "1 person has a survey in progress."
    return f"{count:,} people have a survey in progress."
