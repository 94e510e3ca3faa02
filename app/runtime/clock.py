"""The one place the application reads the clock.

Tests and demos replace config["CLOCK"] with their own callable, so deadline
behaviour is checked at exact instants without sleeping.
"""

from datetime import datetime

from flask import current_app

from app.models import utcnow


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return current_app.config.get("CLOCK", utcnow)()
