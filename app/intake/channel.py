"""The channel protocol: what every way of responding gives the code that handles any
response, so that a feature for every response is written once, against this.

A channel is a subclass of `Channel` in its own package (app/survey/channel.py,
app/evidence/channel.py, app/contact/channel.py), registered with app.intake.channels
by its blueprint. A fourth way of responding is a fourth such module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from flask import url_for
from sqlalchemy import select

from app.consultations.lifecycle import State
from app.extensions import db
from app.intake import links
from app.intake.submissions import admit, count_sent, new_reference
from app.mail.compose import site_url
from app.mail.notifications import Submission, notify_submission
from app.models import SUBMITTED, Consultation, Response

if TYPE_CHECKING:
    from app.models import Booking

Rows = list[tuple[str, str]]


@dataclass(frozen=True)
class Sender:
    """Who sent a response sent in one go, as the evidence and message forms ask."""

    name: str
    email: str
    organisation: str = ""


@dataclass(frozen=True)
class Sending:
    """One send of a form: the token it carries, when it was loaded, now, whether late, and
    whether it asks for news of the consultation (app.intake.following)."""

    token: str
    loaded_at: datetime | None
    now: datetime
    late: bool
    follows: bool = False


class Channel:
    """One way to take part. Subclasses set the names and give the rows they describe."""

    name: ClassVar[str]  # "survey": Response.channel, and the consultation file's word
    label: ClassVar[str]  # "Survey": the kind of response in lists and the audit log
    count_label: ClassVar[str | None] = None  # "Survey responses" in summaries; else label
    email_kind: ClassVar[str | None] = None  # "message" in the emails' event keys; else name
    email_label: ClassVar[str | None] = None  # "Survey response" in the emails; else label
    reference_prefix: ClassVar[str]  # "SV", as in SV-7K2QX9
    endpoint: ClassVar[str]  # the view that starts it, taking `slug`
    # The view where a respondent changes what they sent, taking `slug` and `token` (their
    # link's); None for a channel whose responses cannot be changed.
    change_endpoint: ClassVar[str | None] = None
    title: ClassVar[str]  # how the consultation page offers it
    description: ClassVar[str]
    # Columns the retention purge blanks besides the respondent's details.
    correspondence: ClassVar[tuple[str, ...]] = ()

    # Finding and counting.

    def find_by_token(self, consultation: Consultation, token: str) -> Response | None:
        """The response of this channel that carries this secret token, if any."""
        return db.session.scalar(
            select(Response).filter_by(
                consultation_id=consultation.id, channel=self.name, token=token
            )
        )

    def sent_by_link(self, consultation: Consultation, link: str) -> Response | None:
        """The response of this channel, sent to this consultation, that the respondent's
        link opens, if any: a link to any other response opens no change here."""
        response = links.find(link)
        if response is None or response.channel != self.name:
            return None
        return response if response.consultation_id == consultation.id else None

    def count(self, consultation: Consultation) -> dict[str, int]:
        """What it has received for the consultation, by label, for summaries."""
        return {self.count_label or self.label: count_sent(consultation, self.name)}

    # Taking a response.

    def admit(
        self,
        consultation: Consultation,
        now: datetime,
        loaded_at: datetime | None,
        written: Callable[[], Rows] | None = None,
        after_close: bool | None = None,
        response_url: str | None = None,
    ) -> bool:
        """Let a request through while the channel takes responses; True when it is late.

        A consultation set to go on taking these after its close (`after_close`, by
        default the channel's `after_close`) lets them through then, and they are not
        late: they are welcome. Otherwise, see submissions.admit.
        """
        if after_close is None:
            after_close = self.after_close(consultation)
        if after_close and consultation.state(now) is State.CLOSED:
            return False
        return admit(consultation, self.name, now, loaded_at, written, response_url)

    def takes_changes(self, consultation: Consultation, now: datetime) -> bool:
        """Whether a respondent may start changing a response now: while the consultation
        takes new ones. (One started in time may be sent within the grace period.)"""
        if self.change_endpoint is None or not consultation.offers(self.name):
            return False
        state = consultation.state(now)
        return state is State.OPEN or (state is State.CLOSED and self.after_close(consultation))

    def after_close(self, consultation: Consultation) -> bool:
        """Whether the consultation goes on taking these once it has closed."""
        return False

    def new_response(
        self, consultation: Consultation, sending: Sending, sender: Sender, **own: Any
    ) -> Response:
        """A response sent in one go, with the columns every channel fills and its `own`."""
        return Response(
            consultation=consultation,
            channel=self.name,
            status=SUBMITTED,
            token=sending.token,
            reference=new_reference(self.reference_prefix),
            answers={},
            pages_done=[],
            name=sender.name,
            email=sender.email,
            organisation=sender.organisation,
            consent=True,
            late=sending.late,
            started_at=sending.loaded_at or sending.now,
            updated_at=sending.now,
            submitted_at=sending.now,
            **own,
        )

    def sent_url(self, response: Response) -> str:
        """Where the browser goes once the response is sent."""
        return url_for(f"{self.name}.confirmation", slug=response.consultation.slug)

    # Describing a response.

    def answer_rows(self, response: Response) -> Rows:
        """(question, answer) for each question answered, for channels that ask questions."""
        return []

    def detail_rows(self, response: Response) -> Rows:
        """(field, value) of what was sent, as the receipt, the emails and the admin list it."""
        raise NotImplementedError

    def emailed_rows(self, response: Response) -> Rows:
        """The copy of the response the alert and the receipt hold."""
        return self.detail_rows(response)

    def submission_extras(self, response: Response) -> dict[str, Any]:
        """What this channel's emails add: attachments, next steps, a link to carry on."""
        return {}

    def notify_sent(self, response: Response, now: datetime, following: bool = False) -> None:
        """Give the response its respondent's link and queue the officer's alert and the
        receipt, which carries the link (in the caller's transaction). `following`: it was
        sent asking for news of the consultation, which the receipt mentions."""
        submission = self.as_submission(response, link=links.issue(response))
        notify_submission(replace(submission, following=following), now)

    def as_submission(self, response: Response, link: str | None = None) -> Submission:
        """The response as the officer's alert and the respondent's receipt describe it;
        `link` is the respondent's link token, for the receipt."""
        return Submission(
            kind=self.email_kind or self.name,
            kind_label=self.email_label or self.label,
            reference=response.reference or "",
            consultation=response.consultation,
            # A change's emails say when it was changed.
            submitted_at=response.changed_at or response.submitted_at or response.updated_at,
            admin_url=site_url("admin.response", response_id=response.id),
            name=response.name,
            email=response.email,
            organisation=response.organisation,
            late=response.late,
            details=self.emailed_rows(response),
            link_url=links.url(link) if link else "",
            version=response.version,
            **self.submission_extras(response),
        )

    def change_url(self, response: Response, token: str) -> str | None:
        """Where the holder of the link `token` changes the response; None if it cannot be."""
        if self.change_endpoint is None:
            return None
        return url_for(self.change_endpoint, slug=response.consultation.slug, token=token)

    def after_change(self, response: Response) -> None:
        """What else must follow the respondent's change (in the caller's transaction)."""

    # What deleting a response must undo.

    def upcoming_call(self, response: Response, now: datetime) -> Booking | None:
        """A call the response holds that has not started yet, if the channel books any."""
        return None
