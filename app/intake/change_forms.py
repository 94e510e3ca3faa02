"""What the forms that change a response sent in one go share (written evidence, a
message): the version they were loaded from, what their fields held then, and where
each outcome of sending them leads.

Two tabs (or a phone and a laptop) may each load the form. When the second sends it
after the first has changed the response, the change is refused (a conflict) and the
form comes back. Sent again as it was, it would undo the first tab's change in every
field the second tab left alone. So the form carries, signed, what each field held when
it was loaded, and after a conflict each field the respondent left as it was takes the
value the response has now: only what they changed themselves is sent again (a
three-way merge, as version control merges two edits of one file).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import HiddenField

from app.intake import links
from app.intake.changes import Outcome
from app.models import Response
from app.web.templating import CHOICE_FIELDS

VERSION_SHAPE = re.compile(r"[0-9]{1,9}")


def version_sent(value: str | None) -> int:
    """The version a form's hidden field says it was loaded from; 0, which no response
    has, if the field is missing or forged."""
    return int(value) if value and VERSION_SHAPE.fullmatch(value) else 0


@dataclass(frozen=True)
class Merged:
    """What merging a change made elsewhere into the form did: `known` is False when the
    form did not carry what it was loaded with (missing or altered), and then every
    field was kept as typed; `both` lists the fields changed here and elsewhere, each as
    (the id to link to, its label), kept as typed here."""

    known: bool
    both: list[tuple[str, str]]


class ChangeFormMixin:
    """The hidden fields of a form that changes a response sent: the version it was
    loaded from and, signed, what each of its `merged_fields` held then."""

    version = HiddenField()
    originals = HiddenField()
    merged_fields: ClassVar[tuple[str, ...]] = ()  # the fields a conflict merges

    def loaded_from(self, version: int, values: Mapping[str, Any]) -> None:
        """Mark the form as loaded from `version` of the response, its fields as `values`."""
        self.version.data = str(version)
        self.originals.data = _serializer().dumps(
            {name: _digest(values.get(name)) for name in self.merged_fields}
        )

    @property
    def version_loaded(self) -> int:
        """The version the form was loaded with; 0, which no response has, if forged."""
        return version_sent(self.version.data)

    def typed(self) -> list[tuple[str, str]]:
        """What the respondent typed (the form's `written()`), for the closed page to
        show back."""
        return [(label, value) for label, value in self.written() if value.strip()]

    def merge(self, version: int, current: Mapping[str, Any]) -> Merged:
        """After a conflict: each field the respondent left as it was loaded takes its
        value in `current` (the response as it is now, at `version`); the rest keep what
        they typed. The form is then as if loaded from `version`, so that sending it
        again changes the response on top of the change made elsewhere."""
        loaded = self._loaded()
        both = []
        for name in self.merged_fields if loaded is not None else ():
            field, was = self[name], loaded.get(name)
            if was is None:  # not carried when it was loaded (an older form): as typed
                continue
            typed, now = _digest(field.data), _digest(current.get(name))
            if typed == was:
                field.data = current.get(name)
            elif now not in (was, typed):
                target = f"{field.id}-1" if field.type in CHOICE_FIELDS else field.id
                both.append((target, field.label.text))
        self.loaded_from(version, current)
        return Merged(loaded is not None, both)

    def _loaded(self) -> dict[str, str] | None:
        """What each field held when the form was loaded, as digests; None if the form
        does not say, or what it says was altered."""
        try:
            loaded = _serializer().loads(self.originals.data or "")
        except BadSignature:
            return None
        return loaded if isinstance(loaded, dict) else None


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="change-form-originals")


def _digest(value: Any) -> str:
    """A short fingerprint of a field's value, to tell whether it changed.

    Fingerprints rather than the values keep the form small (a piece of evidence may
    be long, and many respondents are on a phone). Spaces around text, and the order in
    which boxes were ticked, are no change.
    """
    if isinstance(value, list | tuple):
        canonical: Any = sorted(str(item).strip() for item in value)
    elif isinstance(value, str):
        canonical = value.strip()
    elif value is None:
        canonical = ""
    else:
        canonical = str(value)
    encoded = json.dumps(canonical, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(encoded).digest()[:12]).decode()


def answer(
    outcome: Outcome,
    response: Response,
    link: str,
    conflict: Callable[[], ResponseReturnValue],
) -> ResponseReturnValue:
    """Where a change sent leads: the response's page, saying what became of it; the
    page `conflict()` gives when it was changed elsewhere first; the page saying the
    link no longer works when the response has gone."""
    if outcome is Outcome.GONE:
        return links.not_working()
    if outcome is Outcome.CONFLICT:
        return conflict()
    if outcome is Outcome.CHANGED:
        receipt = " We have emailed you a receipt." if response.email else ""
        flash(f"Your changes have been sent.{receipt}", "success")
    elif outcome is Outcome.UNCHANGED:
        flash("You did not change anything.", "success")
    return redirect(url_for(links.VIEW_ENDPOINT, token=link), code=303)
