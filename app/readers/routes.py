"""Views: see the package docstring."""

from app.readers import bp  # noqa: F401
