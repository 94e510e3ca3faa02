"""Views for the respondent's link: what they sent, and what they can do with it."""

from __future__ import annotations

from flask import render_template

from app.intake import channels, links
from app.intake.changes import snapshot
from app.respondents import bp
from app.runtime import clock


@bp.get("/<token>")
def view(token: str):
    """What the respondent sent, as their receipt listed it, and what they can do now."""
    response = links.find(token)
    if response is None:
        return links.not_working()
    channel = channels.of(response)
    now = clock.now()
    return render_template(
        "respondents/view.html",
        consultation=response.consultation,
        response=response,
        channel=channel,
        rows=snapshot(response),
        change_url=channel.change_url(response, token)
        if channel.takes_changes(response.consultation, now)
        else None,
    )


@bp.route("/new-link", methods=["GET", "POST"])
def new_link():
    """Lost the link? Email new links for the responses sent from an address, to it."""
    return render_template("respondents/new_link.html")
