"""The ways to take part, as each channel's blueprint registers them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from app.models import Consultation


@dataclass(frozen=True)
class Channel:
    """One way to take part: where it lives, how it is described and how to count it."""

    name: str  # "survey", "evidence" or "contact", as in a consultation file
    endpoint: str  # the view that starts it, taking `slug`
    title: str
    description: str
    # Labels and counts of what it has received for a consultation, for summaries.
    count: Callable[[Consultation], dict[str, int]]


def register(app: Flask, channel: Channel) -> None:
    """Called by a channel's blueprint when the app is made."""
    app.extensions.setdefault("channels", {})[channel.name] = channel


def offered(consultation: Consultation) -> list[Channel]:
    """The built channels this consultation offers, in the site's order."""
    registry: dict[str, Channel] = current_app.extensions.get("channels", {})
    return [registry[name] for name in registry if consultation.offers(name)]


def submission_counts(consultation: Consultation) -> dict[str, int]:
    """What each channel has received for this consultation, by label."""
    counts: dict[str, int] = {}
    for channel in offered(consultation):
        counts.update(channel.count(consultation))
    return counts
