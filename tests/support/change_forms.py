"""Steps the tests of the forms that change a response sent in one go share: written
evidence (tests/test_evidence_changes.py) and a message (tests/test_contact_changes.py).

The respondent's link, read from the receipt, and the change form's address its page
gives; opening the form; a change overtaken by one sent from another tab, and what the
conflict page names; an admin closing the consultation; and for the fuzz tests, the
form's hidden fields sent as served or forged, and what every change must leave behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st
from sqlalchemy import select

from app.consultations.lifecycle import Override
from app.extensions import db
from app.models import Consultation, Response
from tests.support.contact_fuzz import mostly
from tests.support.factories import SLUG
from tests.support.outbox import outbox
from tests.support.pages import hidden_fields, page, sent_by, stamped_form, text_of
from tests.support.respondents import audited, link_in

CHANGED = "Your changes have been sent. We have emailed you a receipt."
UNCHANGED = "You did not change anything."


@dataclass(frozen=True)
class Link:
    """The respondent's link, and the change form's address its page gives."""

    view: str
    change: str


def link_from_receipt(client, smtp_server, respondent: str, change_path: str) -> Link:
    """Read the one receipt the respondent received, open its link, and find where the
    page leads to change the response (a link whose address holds `change_path`)."""
    (receipt,) = smtp_server.to(respondent)
    view = link_in(receipt.text)
    shown = client.get(view)
    assert shown.status_code == 200, shown.status_code
    change = page(shown).find("a", href=re.compile(change_path))
    assert change is not None, "the response's page offers no way to change it"
    smtp_server.clear()
    return Link(view, change["href"])


def open_change(client, link: Link):
    """The change form, as the response's page leads to it."""
    shown = client.get(link.change)
    assert shown.status_code == 200, shown.status_code
    return shown


def as_shown(shown) -> dict[str, list[str]]:
    """What a browser sends for the change form as the page `shown` holds it."""
    sent = sent_by(stamped_form(page(shown)))
    return {name: sent.getlist(name) for name in sent}


def flashes(response) -> str:
    """What the page's flash messages say."""
    return text_of(page(response).find(id="flashes"))


# The change form sent: (client, clock, the page with the form, link, changes) -> answer.
SendChange = Callable[..., object]


def overtaken(client, clock, link: Link, send_change: SendChange, changes: dict):
    """Tab A opens the change form; then tab B opens it and sends it with `changes`.
    Returns tab A's page, loaded from the version tab B replaced."""
    tab_a, tab_b = open_change(client, link), open_change(client, link)
    changed = send_change(client, clock, tab_b, link, changes)
    assert changed.status_code == 303, changed.status_code
    return tab_a


def changed_in_both(shown) -> list[str]:
    """The fields the conflict page says were changed both here and elsewhere, each a
    link to its field on the page."""
    soup = page(shown)
    listed = soup.find(id="changed-in-both")
    if listed is None:
        return []
    for link in listed.find_all("a"):
        assert soup.find(id=link["href"].removeprefix("#")) is not None, link["href"]
    return [text_of(link) for link in listed.find_all("a")]


def closed_by_an_admin() -> None:
    """An admin closes the consultation at once, whatever its deadline says."""
    db.session.rollback()
    consultation = db.session.scalar(select(Consultation).filter_by(slug=SLUG))
    consultation.override = Override.CLOSED.value
    db.session.commit()


# --- junk at a change form ---------------------------------------------------------------------

# Each hidden field sent as the page served it, and the honeypot left empty.
AS_SERVED = {
    "token": "served",
    "version": "served",
    "originals": "served",
    "loaded": "served",
    "website": "",
    "csrf": "served",
}


def hidden_as_sent(junk_versions: list[str], odds: int) -> st.SearchStrategy[dict[str, str]]:
    """How each hidden field of a change form is sent: usually (`odds` to one) as served,
    otherwise forged; the form's token may be the one of the change made last."""
    return st.fixed_dictionaries(
        {
            "token": mostly(
                st.just("served"), st.sampled_from(["earlier", "missing", "junk"]), odds=odds
            ),
            "version": mostly(st.just("served"), st.sampled_from(junk_versions), odds=odds),
            "originals": mostly(
                st.just("served"), st.sampled_from(["missing", "junk", "stamp"]), odds=odds
            ),
            "loaded": mostly(st.just("served"), st.sampled_from(["missing", "junk"]), odds=12),
            "website": mostly(st.just(""), st.just("http://spam.example"), odds=12),
            "csrf": mostly(st.just("served"), st.just("junk"), odds=20),
        }
    )


def hidden_entries(shown, hidden: dict[str, str], earlier: str | None) -> list[tuple[str, str]]:
    """The hidden fields of the form on the page `shown`, sent as `hidden` says: as
    served, forged, or left out. `earlier` is the token of the change made last, if any."""
    served = hidden_fields(shown)
    entries = [("csrf_token", served["csrf_token"] if hidden["csrf"] == "served" else "junk")]
    token = {
        "served": served["token"],
        "earlier": earlier or served["token"],
        "junk": "not a token!",
    }.get(hidden["token"])
    if token is not None:
        entries.append(("token", token))
    entries.append(
        ("version", served["version"] if hidden["version"] == "served" else hidden["version"])
    )
    originals = {
        "served": served["originals"],
        "junk": served["originals"][:-3] + "abc",
        "stamp": served["loaded"],  # signed, but not for this
    }.get(hidden["originals"])
    if originals is not None:
        entries.append(("originals", originals))
    loaded = {"served": served["loaded"], "junk": served["loaded"][:-3] + "abc"}.get(
        hidden["loaded"]
    )
    if loaded is not None:
        entries.append(("loaded", loaded))
    entries.append(("website", hidden["website"]))
    return entries


def assert_each_change_kept(response: Response) -> None:
    """Every version the response replaced is kept, and each change made had its alert,
    its receipt and its line in the audit log, beside the first alert and receipt."""
    assert [v.number for v in response.versions] == list(range(1, response.version))
    changes = response.version - 1
    assert len(outbox("alert")) == len(outbox("receipt")) == 1 + changes
    assert len(audited("respondent_change")) == changes
