"""Views: see the package docstring."""

from app.news import bp  # noqa: F401
