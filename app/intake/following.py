"""Following a consultation from the form that sends a response: the tick box by the email
address (intake.fields.follow_field), acted on once the response is stored.

The response comes first. It is committed before the address is signed up, and nothing
that goes wrong with the sign-up undoes it or turns its confirmation into an error page.
The address then gets the sign-up's own email, apart from the receipt, exactly as from the
sign-up page: a confirmation, or for an address already confirmed a notice. The pages say
the same whichever it was, so they tell no one whether the address was known.

Following is offered on new responses only: the forms that change a sent response
remove the box, so nothing here is asked of them.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import session

from app.extensions import db
from app.intake.channel import Channel
from app.models import Consultation, Response
from app.updates import subscriptions

log = logging.getLogger(__name__)

# What the page says in a preview, which signs no one up.
PREVIEW_NOTE = (
    "You asked for news of this consultation, so you would also get an email to confirm it."
)
# The session's note of the responses this browser sent with the box ticked and signed up
# (their references, newest last), for their confirmation pages to say so.
ASKED_KEY = "following_asked"
ASKED_KEPT = 5
# A form in several steps (the survey) asks on one step and sends on another: the session
# keeps, by consultation, the token of the draft whose box was ticked.
CHOSEN_KEY = "following_chosen"


def offer(form, consultation: Consultation) -> None:
    """Take the tick box off the form when there is no news of the consultation to come:
    its outcome is published."""
    if "follow" in form and consultation.outcome_published_at is not None:
        del form.follow


def ticked(form) -> bool:
    """Whether the form offers the tick box and it is ticked."""
    return "follow" in form and bool(form.follow.data)


def follow(channel: Channel, consultation: Consultation, response: Response, now: datetime) -> bool:
    """Sign the address of a response just committed up for news of its consultation, as
    the sign-up page would, and note it for the confirmation page. Commits.

    False, with the failure logged and rolled back, if the sign-up could not be made: the
    response stays stored and its confirmation page is shown, only without the line
    about news. Call it after anything that reads the response, which the rollback expires.
    """
    reference, email = response.reference or "", response.email
    if not email:
        return False
    wanted = subscriptions.SignUp(
        email=email,
        name=response.name,  # sign_up cuts it to a subscriber's name
        consultation=consultation,
        source=f"{channel.name} form",
    )
    try:
        subscriptions.sign_up(wanted, now)
    except Exception:
        # Whatever went wrong, the response is safe: say so in the log, not on the page.
        db.session.rollback()
        log.exception("Could not sign up the sender of %s for news of its consultation", reference)
        return False
    asked = [kept for kept in session.get(ASKED_KEY, []) if kept != reference]
    session[ASKED_KEY] = [*asked, reference][-ASKED_KEPT:]
    return True


def asked(response: Response) -> bool:
    """Whether this browser sent the response with the box ticked, and was signed up."""
    return bool(response.reference) and response.reference in session.get(ASKED_KEY, [])


def keep_choice(consultation: Consultation, token: str, ticked: bool) -> None:
    """For a form in several steps: remember whether the draft with this token ticked the
    box, until it is sent."""
    if not ticked:
        forget_choice(consultation)
        return
    session[CHOSEN_KEY] = {**session.get(CHOSEN_KEY, {}), str(consultation.id): token}


def forget_choice(consultation: Consultation) -> None:
    """The draft is sent, or gone: nothing to remember for it."""
    chosen = dict(session.get(CHOSEN_KEY, {}))
    if chosen.pop(str(consultation.id), None) is not None:
        session[CHOSEN_KEY] = chosen


def kept_choice(consultation: Consultation, token: str) -> bool:
    """Whether the draft with this token ticked the box (a draft moved here from another
    browser, which has a new token, did not: its details are asked again)."""
    return session.get(CHOSEN_KEY, {}).get(str(consultation.id)) == token
