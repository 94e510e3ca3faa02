"""Telephone numbers, read and shown with the phonenumbers library."""

from __future__ import annotations

import phonenumbers

LONGEST = 40  # characters anyone types for a number, spaces and brackets included


def parse(text: str, region: str) -> str | None:
    """The number in E.164 form (+442079460123), or None if it is not a real number.

    A number without a +country code is read as `region`'s (GB: 020 7946 0123). A number
    with an extension is refused rather than stored without it: the call would reach
    the switchboard.
    """
    if not text or len(text) > LONGEST:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or number.extension:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(e164: str, region: str) -> str:
    """How to write a stored number: nationally for `region`'s own, else with its code."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    same_country = phonenumbers.region_code_for_number(number) == region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if same_country
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
