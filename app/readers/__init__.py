"""Readers who comment: signing in with a link sent by email (no password), the name
shown beside their comments, their own comments, signing out and deleting their account.

Readers are not staff: their session is a cookie of its own (`sessions.py`), and Flask-Login,
which signs staff in, never sees it.
"""

from flask import Blueprint

bp = Blueprint("readers", __name__, url_prefix="/readers")

from app.readers import routes, sessions  # noqa: E402, F401  (registers the views)
