"""Views for signing up to updates, confirming an address and unsubscribing."""

from __future__ import annotations

from flask import abort

from app.updates import bp


# The pages themselves come with the sign-up forms; until then these names only give
# the emails their links.
@bp.route("/sign-up", methods=["GET", "POST"])
def sign_up():
    abort(404)


@bp.get("/confirm/<token>")
def confirm(token: str):
    abort(404)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    abort(404)
