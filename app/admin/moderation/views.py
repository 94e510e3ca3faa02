"""Views: see the package docstring."""

from app.admin import bp  # noqa: F401
