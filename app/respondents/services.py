"""What the respondent's pages do: change the publication choice, and send new links to
the responses sent from an address. (Withdrawing is app.privacy.withdrawal.)"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, exists, func, select

from app.extensions import db
from app.intake import channels, links
from app.intake.changes import ChangeSending, Outcome, apply_change
from app.intake.submissions import new_token
from app.mail.notifications import LinkSent, queue_new_links
from app.models import SUBMITTED, OutboxEmail, Response
from app.web.forms import PUBLISH_CHOICES

# One email of new links per address in each such window: asking again within it sends
# nothing, so the form cannot be used to fill someone's inbox.
LINKS_WINDOW = timedelta(minutes=15)
# The most responses one email lists, newest first: far more than a person sends.
MOST_LINKS = 50
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def has_publish_choice(response: Response) -> bool:
    """Whether the respondent chose whether it may be published (survey and evidence
    ask; a message to the officer is not for publishing)."""
    return response.publish in PUBLISH_CHOICES


def change_publication(response: Response, choice: str, sending: ChangeSending) -> Outcome:
    """Change whether the response may be published, as any change is made: a new
    version, the old one kept, a receipt and an alert. Allowed after the close too."""
    if choice not in PUBLISH_CHOICES:
        raise ValueError(f"not a publication choice: {choice!r}")

    def edit(changed: Response) -> None:
        changed.publish = choice

    return apply_change(response, sending, edit)


# New links for lost ones.


def same_address(address: str) -> str:
    """An address as it is compared: its letters A to Z in lower case, and only those.

    People type the same address in different cases, and mail servers do not mind.
    Other letters are left as typed, because SQLite's lower() knows only A to Z; the
    same rule on PostgreSQL, whose lower() knows every alphabet, keeps the two alike.
    """
    return address.translate(_ASCII_LOWER)


def sent_from(address: str) -> list[Response]:
    """The sent responses, not purged, whose respondent gave this address; newest first.

    The database narrows them down with its own lower() on both sides (so on PostgreSQL
    it may find more than same_address would), and same_address decides.
    """
    found = db.session.scalars(
        select(Response)
        .where(
            Response.status == SUBMITTED,
            Response.purged_at.is_(None),
            func.lower(Response.email) == func.lower(address),
        )
        .order_by(Response.submitted_at.desc(), Response.id.desc())
    )
    wanted = same_address(address)
    return [response for response in found if same_address(response.email) == wanted][:MOST_LINKS]


def links_event_key(address: str, now: datetime) -> str:
    """The event of sending new links to this address in the window `now` falls in."""
    digest = hashlib.sha256(same_address(address).encode()).hexdigest()[:32]
    window = int(now.astimezone(UTC).timestamp() // LINKS_WINDOW.total_seconds())
    return f"new-links:{digest}:{window}"


def send_new_links(address: str, now: datetime) -> bool:
    """Give each response sent from `address` a new link, ending the old one, and email
    them all to it in one email. Commits. Returns whether an email was queued.

    Nothing happens for an address that sent nothing, or that was sent links in this
    window already: then no link is changed, so the links in that email go on working.
    """
    key = links_event_key(address, now)
    if db.session.scalar(select(exists().where(OutboxEmail.event_key == key))):
        return False
    found = sent_from(address)
    if not found:
        return False
    sent = [_new_link(response) for response in found]
    # A survey change in progress belongs to whoever held the old link: the new link
    # starts afresh, so it never shows what someone else typed.
    db.session.execute(
        delete(Response)
        .where(Response.amends_id.in_([response.id for response in found]))
        .execution_options(synchronize_session=False)
    )
    # To the address the receipts went to, which is the one typed but for its case.
    if not queue_new_links(found[0].email, sent, key, now):
        db.session.rollback()  # sent by a request racing this one: keep its links
        return False
    db.session.commit()
    return True


def _new_link(response: Response) -> LinkSent:
    """A new link for the response (ending its old one), as the email lists it."""
    channel = channels.of(response)
    # The secret token a message's call pages are found by goes too: those links were in
    # the same emails, and may be what was lost.
    response.token = new_token()
    return LinkSent(
        consultation_title=response.consultation.title,
        kind_label=channel.email_label or channel.label,
        reference=response.reference or "",
        submitted_at=response.submitted_at or response.updated_at,
        link_url=links.url(links.issue(response)),
    )
