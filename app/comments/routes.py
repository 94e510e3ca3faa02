"""Views: see the package docstring."""

from app.comments import bp  # noqa: F401
