"""The filter above the list of responses (type, dates, tags, words...) and the query it
builds: which of a consultation's responses to list or export. It only reads, so its form
is here rather than in forms.py."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, exists, select
from werkzeug.datastructures import MultiDict
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from app.admin.forms import DayField
from app.consultations.lifecycle import plural
from app.evidence import services as evidence
from app.extensions import db
from app.intake import channels, search
from app.models import BOOKED, SUBMITTED, Booking, Consultation, Response, Tag, response_tag
from app.web.forms import PUBLISH_CHOICES, Form, choices, in_choices

CALLS_BOOKED = ("calls", "Messages with a call booked")
LATE_CHOICES = [("", "All"), ("yes", "Accepted late"), ("no", "On time")]
NOT_TAGGED = "none"
FILTER_NAMES = ("q", "channel", "respondent_type", "since", "until", "late", "publish", "tag")


def _choice(label: str, offered: list[tuple[str, str]] | None = None) -> SelectField:
    """A drop-down whose crafted values get the site's own message (from in_choices)."""
    return SelectField(
        label,
        choices=choices(offered) if offered else None,
        validators=[in_choices],
        default="",
        validate_choice=False,
    )


class FilterForm(Form):
    """The filters above the list of responses, sent in the address so a view can be shared."""

    class Meta(Form.Meta):
        csrf = False  # it only reads

    q = StringField(
        "Search", [Optional(), Length(max=200, message="Enter 200 characters or fewer")]
    )
    channel = _choice("Type")
    respondent_type = _choice("Respondent type")
    since = DayField("Received from", [Optional()])
    until = DayField("Received up to", [Optional()])
    late = _choice("Deadline", LATE_CHOICES)
    publish = _choice("Publication")
    tag = _choice("Tag")

    def __init__(self, consultation: Consultation, args: MultiDict, **kwargs: Any) -> None:
        super().__init__(formdata=MultiDict(_only_filters(args)), **kwargs)
        kinds = [(c.name, c.count_label or c.label) for c in channels.all_channels()]
        self.channel.choices = choices([("", "All"), *kinds, CALLS_BOOKED])
        types = evidence.settings(consultation)["respondent_types"]
        self.respondent_type.choices = choices([("", "All")] + [(t, t) for t in types])
        self.publish.choices = choices([("", "All"), *PUBLISH_CHOICES.items()])
        tags = [(str(tag.id), tag.name) for tag in tags_of(consultation)]
        self.tag.choices = choices([("", "All"), (NOT_TAGGED, "Not tagged"), *tags])

    def validate_until(self, field: DayField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date must be the same as or after the start date")

    @property
    def in_use(self) -> dict[str, str]:
        """The filters set, as sent, for links that keep them (other pages, exports)."""
        return {name: self[name].raw_data[0] for name in FILTER_NAMES if _given(self[name])}

    def describe(self) -> str:
        """The filters in words, for the audit log."""
        chosen = []
        for name in FILTER_NAMES:
            field = self[name]
            if name == "q" and _given(field):
                # Not the words: a search for someone's name would outlive their deletion.
                count = len(search.terms(field.data or ""))
                chosen.append(f"Search: {plural(count, 'word')}")
            elif _given(field):
                labels = {choice.value: choice.label for choice in getattr(field, "choices", [])}
                shown = labels.get(field.data, field.data)
                chosen.append(f"{field.label.text}: {shown}")
        return "; ".join(chosen) or "no filters"


def _given(field) -> bool:
    return bool(field.raw_data and field.raw_data[0])


def _only_filters(args: MultiDict) -> list[tuple[str, str]]:
    """The filter parameters, the first of each: a crafted repeat is not an error."""
    return [(name, args.get(name, "")) for name in FILTER_NAMES if name in args]


def tags_of(consultation: Consultation) -> list[Tag]:
    """The consultation's tags, by name."""
    return list(
        db.session.scalars(
            select(Tag).filter_by(consultation_id=consultation.id).order_by(Tag.name)
        )
    )


def filtered(consultation: Consultation, form: FilterForm | None = None) -> Select:
    """The consultation's submitted responses that pass the filters, unordered."""
    query = select(Response).where(
        Response.consultation_id == consultation.id, Response.status == SUBMITTED
    )
    if form is None:
        return query
    zone = current_app.config["SITE_ZONE"]
    data = form.data
    if data["channel"] == "calls":
        query = query.where(
            Response.channel == "contact",
            exists().where(Booking.response_id == Response.id, Booking.status == BOOKED),
        )
    elif data["channel"]:
        query = query.where(Response.channel == data["channel"])
    if data["respondent_type"]:
        query = query.where(Response.respondent_type == data["respondent_type"])
    if data["since"]:
        query = query.where(Response.submitted_at >= _start_of(data["since"], zone))
    if data["until"]:
        query = query.where(
            Response.submitted_at < _start_of(data["until"] + timedelta(days=1), zone)
        )
    if data["late"]:
        query = query.where(Response.late.is_(data["late"] == "yes"))
    if data["publish"]:
        query = query.where(Response.publish == data["publish"])
    if data["tag"] == NOT_TAGGED:
        query = query.where(~exists().where(response_tag.c.response_id == Response.id))
    elif data["tag"]:
        query = query.where(
            exists().where(
                response_tag.c.response_id == Response.id, response_tag.c.tag_id == int(data["tag"])
            )
        )
    words = search.matches(data["q"] or "")
    if words is not None:
        query = query.where(words)
    return query


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    """The instant a day starts where the site is."""
    return datetime.combine(day, time(0), tzinfo=zone)
