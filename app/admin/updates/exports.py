"""The addresses as CSV files: everyone subscribed to updates, or one consultation's
followers; confirmed addresses only, with the consent each gave.

Like the exports of responses: text a spreadsheet would run as a formula is made safe,
the file is streamed a batch at a time, and each export is in the audit log (with how
many addresses) before the download starts.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response as HttpResponse
from flask import current_app, stream_with_context
from flask_login import current_user
from sqlalchemy import Select, func, select

from app.admin import bp
from app.admin.exports import csv_chunks
from app.consultations.lookup import get_for_staff_or_404
from app.extensions import db
from app.models import Consultation, Follow, Subscriber, record_audit
from app.runtime import clock
from app.updates import mailings

BATCH_SIZE = 1000
HEADER = [
    "Email address",
    "Name",
    "Confirmed",
    "Consent given",
    "Consent source",
    "Consent wording",
]


def _subscribers() -> Select:
    """The site's subscribers, with the consent each gave to its updates, the longest
    confirmed first."""
    return mailings.confirmed_subscribers(
        Subscriber.email,
        Subscriber.name,
        Subscriber.confirmed_at,
        Subscriber.consent_at.label("consent_at"),
        Subscriber.consent_source.label("source"),
        Subscriber.consent_wording.label("wording"),
    ).order_by(Subscriber.confirmed_at, Subscriber.id)


def _followers(consultation: Consultation) -> Select:
    """The followers of `consultation`, with the consent each gave to following it, the
    longest confirmed first."""
    return mailings.confirmed_followers(
        Subscriber.email,
        Subscriber.name,
        Subscriber.confirmed_at,
        Follow.created_at.label("consent_at"),
        Follow.consent_source.label("source"),
        Follow.consent_wording.label("wording"),
        consultation_id=consultation.id,
    ).order_by(Subscriber.confirmed_at, Subscriber.id)


@bp.get("/updates/subscribers.csv")
def export_subscribers():
    """Everyone subscribed to the site's updates, as a CSV file."""
    chosen = _subscribers()
    count = _count(chosen)
    record_audit(current_user.email, "export_subscribers", None, f"Exported {_many(count)} as CSV")
    db.session.commit()
    return _download(chosen, f"subscribers-{_today()}.csv")


@bp.get("/consultations/<slug>/followers.csv")
def export_followers(slug: str):
    """The confirmed followers of one consultation, as a CSV file."""
    consultation = get_for_staff_or_404(slug)
    chosen = _followers(consultation)
    count = _count(chosen)
    record_audit(
        current_user.email,
        "export_subscribers",
        consultation,
        f"Exported {_many(count, 'follower')} of {consultation.title} as CSV",
    )
    db.session.commit()
    return _download(chosen, f"{consultation.slug}-followers-{_today()}.csv")


def _count(chosen: Select) -> int:
    """How many rows the export `chosen` holds, for the audit log."""
    return db.session.scalar(select(func.count()).select_from(chosen.order_by(None).subquery()))


def _many(count: int, noun: str = "subscriber") -> str:
    """A count with its noun: "1 subscriber", "1,200 subscribers"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _today() -> str:
    """Today's date where the site is, for the file name."""
    return clock.now().astimezone(current_app.config["SITE_ZONE"]).date().isoformat()


def _rows(chosen: Select) -> Iterator[list[list[str]]]:
    """The rows, a batch at a time; times as '2027-03-01 14:30' in the site's zone."""
    zone = current_app.config["SITE_ZONE"]

    def local(moment) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    for batch in db.session.execute(chosen.execution_options(yield_per=BATCH_SIZE)).partitions():
        yield [
            [
                row.email or "",
                row.name,
                local(row.confirmed_at),
                local(row.consent_at),
                row.source,
                row.wording,
            ]
            for row in batch
        ]


def _download(chosen: Select, name: str) -> HttpResponse:
    download = HttpResponse(
        stream_with_context(csv_chunks(HEADER, _rows(chosen))), mimetype="text/csv"
    )
    download.headers.set("Content-Disposition", "attachment", filename=name)
    download.headers["Cache-Control"] = "no-store"  # personal data: keep no copy
    return download
