"""The ways to take part that the app has built, as each channel's blueprint registers them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

from app.models import Consultation, Response

if TYPE_CHECKING:
    from app.intake.channel import Channel


def register(app: Flask, channel: Channel) -> None:
    """Called by a channel's blueprint when the app is made."""
    app.extensions.setdefault("channels", {})[channel.name] = channel


def _registry() -> dict[str, Channel]:
    return current_app.extensions.get("channels", {})


def named(name: str) -> Channel:
    """The channel of this name ("survey", "evidence", "contact")."""
    return _registry()[name]


def of(response: Response) -> Channel:
    """The channel a response came through."""
    return named(response.channel)


def all_channels() -> list[Channel]:
    """Every channel the app has built, in the site's order."""
    return list(_registry().values())


def labels() -> dict[str, str]:
    """Each channel's name and label ("Survey", "Written evidence", "Message")."""
    return {name: channel.label for name, channel in _registry().items()}


def offered(consultation: Consultation) -> list[Channel]:
    """The built channels this consultation offers, in the site's order."""
    registry = _registry()
    return [registry[name] for name in registry if consultation.offers(name)]


def submission_counts(consultation: Consultation) -> dict[str, int]:
    """What each channel has received for this consultation, by label."""
    counts: dict[str, int] = {}
    for channel in offered(consultation):
        counts.update(channel.count(consultation))
    return counts
