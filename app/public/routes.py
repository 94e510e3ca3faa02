"""Views for the public pages."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup
from sqlalchemy import text

from app.consultations.lifecycle import time_left
from app.consultations.lookup import Listed, get_by_slug_or_404, grouped_by_state
from app.extensions import db
from app.public import bp
from app.runtime import clock
from app.web import fragments


@bp.app_template_global()
def consultation_card(item: Listed, group: str) -> Markup:
    """A consultation's card in the list (open, forthcoming or closed: `group`).

    The same for every visitor, so rendered once for all it shows (app.web.fragments).
    """
    deadline_passed = item.closes_at <= clock.now()
    key = ("consultation card", group, deadline_passed, item.slug, item.title, item.summary)
    return fragments.rendered_once(
        (*key, item.opens_at, item.closes_at),
        lambda _: render_template(
            "public/_consultation_card.html",
            item=item,
            group=group,
            deadline_passed=deadline_passed,
        ),
    )


@bp.get("/")
def index():
    """Consultations grouped as open, forthcoming and closed."""
    return render_template("public/index.html", groups=grouped_by_state(clock.now()))


@bp.get("/consultations/<slug>")
def consultation(slug: str):
    """One consultation: what it is about, who runs it, its deadline and how to take part."""
    item = get_by_slug_or_404(slug)
    now = clock.now()
    return render_template(
        "public/consultation.html",
        consultation=item,
        state=item.state(now).value,
        time_left=time_left(item.closes_at, now),
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
