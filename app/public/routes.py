"""Views for the public pages."""

from __future__ import annotations

from datetime import datetime

from flask import render_template
from sqlalchemy import text

from app.consultations.lifecycle import TimeLeft, time_left
from app.consultations.lookup import get_by_slug_or_404, grouped_by_state
from app.extensions import db
from app.models import Consultation
from app.public import bp
from app.runtime import clock
from app.web.shared_pages import shared


@bp.get("/")
@shared
def index():
    """Consultations grouped as open, forthcoming and closed."""
    now = clock.now()
    groups = grouped_by_state(now)
    return render_template("public/index.html", groups=groups, shown=groups.shown(now))


@bp.get("/consultations/<slug>")
@shared
def consultation(slug: str):
    """One consultation: what it is about, who runs it, its deadline and how to take part."""
    item = get_by_slug_or_404(slug)
    now = clock.now()
    state, left = item.state(now).value, time_left(item.closes_at, now)
    return render_template(
        "public/consultation.html",
        consultation=item,
        state=state,
        time_left=left,
        shown=_shown_on_page(item, state, left, now),
    )


def _shown_on_page(item: Consultation, state: str, left: TimeLeft | None, now: datetime) -> tuple:
    """All that the kept parts of a consultation's page show, to keep their drawing by
    (public/consultation.html, app.web.fragments): a change to any of it draws them
    afresh. Whatever those parts come to show must be named here."""
    return (
        item.slug,
        item.title,
        item.summary,
        state,
        left,
        item.opens_at,
        item.closes_at,
        item.closes_at <= now,
        item.outcome_published_at,
        item.outcome,
        item.body,
        tuple(item.channels),
        item.messages_after_close,
        item.officer_name,
        item.officer_email,
        item.officer_phone,
    )


@bp.get("/privacy")
def privacy():
    """The privacy notice."""
    return render_template("public/privacy.html")


@bp.get("/accessibility")
def accessibility():
    """The accessibility statement."""
    return render_template("public/accessibility.html")


@bp.get("/cookies")
def cookies():
    """What cookies the site sets, and why no banner is needed."""
    return render_template("public/cookies.html")


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure to reach the database means unhealthy
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
