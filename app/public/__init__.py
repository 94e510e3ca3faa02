"""Public pages: the list, a consultation's overview, and the service's plain pages."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import previews, routes  # noqa: E402,F401
