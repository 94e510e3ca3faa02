"""News posts for readers: the list, each post, the latest on the home page and on a
consultation's page, and the Atom feed."""

from flask import Blueprint

bp = Blueprint("news", __name__, url_prefix="/news")

from app.news import routes  # noqa: E402, F401  (registers the views)
