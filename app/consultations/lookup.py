"""Finding consultations and deciding whether a way to take part is available."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from flask import Response, abort, make_response, render_template
from flask_login import current_user
from sqlalchemy import Select, bindparam, select

from app.consultations import preview
from app.consultations.lifecycle import Override, State, state_at
from app.extensions import db
from app.models import Consultation
from app.web.rendering import whole_page_for_htmx


@dataclass(frozen=True, slots=True)
class Listed:
    """What the list shows of a consultation: its card's words and dates."""

    slug: str
    title: str
    summary: str
    opens_at: datetime
    closes_at: datetime
    override: str


@dataclass
class Grouped:
    """Consultations sorted into what a respondent can do with them now."""

    open: list[Listed] = field(default_factory=list)
    forthcoming: list[Listed] = field(default_factory=list)
    closed: list[Listed] = field(default_factory=list)

    def shown(self, now: datetime) -> tuple:
        """All the list shows at `now`, to keep its drawing by: each group's cards, and
        whether each closed one's deadline has passed (or an admin closed it early)."""
        passed = tuple(item.closes_at <= now for item in self.closed)
        return tuple(self.open), tuple(self.forthcoming), tuple(self.closed), passed


def grouped_by_state(now: datetime) -> Grouped:
    """Every published consultation, grouped: open ones closing soonest first, closed ones
    newest first. Drafts are never listed."""
    groups = Grouped()
    for row in db.session.execute(_listed()):
        listed = Listed(*row)
        state = state_at(listed.opens_at, listed.closes_at, Override(listed.override), now)
        getattr(groups, state.value).append(listed)
    groups.forthcoming.sort(key=lambda c: c.opens_at)
    groups.closed.reverse()
    return groups


@cache
def _listed() -> Select:
    # Only the card's columns, built once: whole rows (each page's text, its settings)
    # took most of the list's time to load.
    columns = [getattr(Consultation, name) for name in Listed.__slots__]
    return (
        select(*columns)
        .where(Consultation.published_at.is_not(None))
        .order_by(Consultation.closes_at)
    )


def get_by_slug_or_404(slug: str) -> Consultation:
    """The published consultation with this slug for a public page, or a 404 page.

    A draft is found only by a browser that followed its preview link, or by signed-in
    staff (admins and officers see drafts), and the request is then marked as a preview:
    the draft counts as open whatever its dates, so every check below
    (open_channel_or_abort, the grace rule) lets its forms through, and nothing sent is
    stored. So is a published one that signed-in staff chose to preview (from the survey
    builder).
    """
    consultation = get_for_staff_or_404(slug)
    if consultation.is_draft:
        if not (preview.previewing(consultation) or current_user.is_authenticated):
            abort(404)
        preview.mark_preview(consultation)
    elif preview.staff_previewing(consultation):
        preview.mark_preview(consultation)
    return consultation


def get_for_staff_or_404(slug: str) -> Consultation:
    """The consultation with this slug, draft or published, for the admin area; or a 404."""
    consultation = db.session.scalar(_by_slug(), {"slug": slug})
    if consultation is None:
        abort(404)
    return consultation


@cache
def _by_slug() -> Select:
    # Built once: every public request asks it, and building it cost more than running it.
    return select(Consultation).where(Consultation.slug == bindparam("slug"))


def open_channel_or_abort(consultation: Consultation, channel: str, now: datetime) -> None:
    """Stop the request unless `channel` is offered and the consultation is open.

    Not offered: 404. Not open yet: 404 with the opening time. Closed: 410 with the
    deadline-passed page, never a form.
    """
    if not consultation.offers(channel):
        abort(404)
    state = consultation.state(now)
    if state is State.FORTHCOMING:
        page = render_template("public/not_open.html", consultation=consultation)
        abort(whole_page_for_htmx(make_response(page, 404)))
    if state is State.CLOSED:
        abort(closed_response(consultation, now))


def closed_response(consultation: Consultation, now: datetime) -> Response:
    """The page that says responses are no longer taken, with the reason."""
    deadline_passed = now >= consultation.closes_at
    page = render_template(
        "public/closed.html", consultation=consultation, deadline_passed=deadline_passed
    )
    return whole_page_for_htmx(make_response(page, 410))
