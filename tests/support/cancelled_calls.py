"""The emails that cancel a message's call when the message goes at its sender's request,
withdrawn by them or deleted by an admin when they asked."""

from __future__ import annotations

import re

from tests.support.contact import VALID_MESSAGE, invite
from tests.support.smtp_server import Received


def cancelled_with_its_message(
    to_officer: Received, to_respondent: Received, uid: str, sequence: int
) -> tuple[str, str]:
    """Check the two emails cancelling the call of a message being deleted (Ann's, sent as
    tests.support.contact.VALID_MESSAGE): both remove the event from the calendars, as a
    later version of it; the officer's names no one, in the email or its calendar file, and
    a reply to it goes to no respondent; neither offers a link, which would lead nowhere.
    Returns what each says, the officer's subject first, on one line."""
    for received in (to_officer, to_respondent):
        calendar = invite(received)
        assert str(calendar["METHOD"]) == "CANCEL"
        (vevent,) = calendar.walk("VEVENT")
        assert str(vevent["UID"]) == uid
        assert int(vevent["SEQUENCE"]) > sequence
    subject = str(to_officer.message["Subject"])
    email = " ".join((subject, to_officer.text, to_officer.html))
    # The calendar file unfolded: a name may be split over two of its lines.
    ics = re.sub(r"\r\n[ \t]", "", invite(to_officer).to_ical().decode())
    sender = VALID_MESSAGE
    for detail in ("name", "phone", "organisation", "subject"):
        assert sender[detail] not in email + ics, detail
    assert "7946 0123" not in email + ics
    assert sender["email"] not in email
    assert to_officer.message["Reply-To"] is None
    assert "/admin/" not in email
    for part in (to_respondent.text, to_respondent.html):
        assert "/contact/" not in part and "another time" not in part
    officer_said = " ".join(f"{subject} {to_officer.text}".split())
    return officer_said, " ".join(to_respondent.text.split())
