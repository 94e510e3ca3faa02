"""The public news pages: the list, each post and the Atom feed; and what the home page and
a consultation's page show of the news (template globals, so their views need no change)."""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, render_template, request
from sqlalchemy import Row

from app.formatting import timefmt
from app.models import Consultation
from app.news import bp, feed, services
from app.runtime import clock


@bp.app_template_global()
def latest_news() -> list[Row]:
    """The newest live posts, for the home page (what news/_card.html shows of each)."""
    return services.newest_cards(services.LATEST)


@bp.app_template_global()
def news_about(consultation: Consultation) -> list[Row]:
    """The live posts about `consultation`, for its page (what news/_card.html shows)."""
    return services.cards_about(consultation)


@bp.app_template_filter()
def news_date(moment: datetime) -> str:
    """'6 December 2026', the day in the site's zone."""
    return timefmt.long_date(moment.astimezone(current_app.config["SITE_ZONE"]))


@bp.get("")
def index():
    """Live posts, newest first, a page at a time."""
    posts, page, pages = services.page_or_404(request.args.get("page"))
    return render_template("news/index.html", posts=posts, page=page, pages=pages)


@bp.get("/feed.atom")
def feed_atom():
    """The newest live posts as an Atom feed."""
    document = feed.atom(services.newest(services.FEED_SIZE), clock.now())
    return Response(document, content_type=f"{feed.MEDIA_TYPE}; charset=utf-8")


@bp.get("/<slug>")
def post(slug: str):
    """One live post, with readers' comments under it."""
    return render_template("news/post.html", post=services.live_or_404(slug), preview=False)
