"""Readers' comments on news posts: posting, fixing, deleting and reporting them."""

from flask import Blueprint

bp = Blueprint("comments", __name__, url_prefix="/news")

from app.comments import routes  # noqa: E402, F401  (registers the views)
