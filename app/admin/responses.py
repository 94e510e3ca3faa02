"""Reading the responses a consultation has received."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import func, select

from app.admin import bp
from app.consultations import get_by_slug_or_404
from app.contact import services as contact
from app.evidence import files
from app.evidence import services as evidence
from app.extensions import db
from app.models import SUBMITTED, Attachment, Booking, Response, record_audit
from app.survey import services as survey

PAGE_SIZE = 50


@bp.get("/consultations/<slug>/responses")
def responses(slug: str):
    """Submitted responses to one consultation, newest first, a page at a time."""
    consultation = get_by_slug_or_404(slug)
    page = max(request.args.get("page", 1, type=int), 1)
    submitted = select(Response).filter_by(consultation_id=consultation.id, status=SUBMITTED)
    total = db.session.scalar(select(func.count()).select_from(submitted.subquery()))
    rows = db.session.scalars(
        submitted.order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "admin/responses.html",
        consultation=consultation,
        responses=rows,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
    )


@bp.get("/responses/<int(max=2147483647):response_id>")
def response(response_id: int):
    """One submitted response in full."""
    item = db.session.get(Response, response_id)
    if item is None or item.status != SUBMITTED:
        abort(404)
    if item.channel == "survey":
        questions = list(item.consultation.questions)
        answers = [(q.prompt, text) for q, text in survey.answer_rows(questions, item.answers)]
        details = survey.detail_rows(item)
    elif item.channel == "contact":
        answers, details = [], contact.detail_rows(item)
    else:
        answers, details = [], evidence.detail_rows(item)
    bookings = db.session.scalars(
        select(Booking).filter_by(response_id=item.id).order_by(Booking.id)
    ).all()
    return render_template(
        "admin/response.html",
        item=item,
        consultation=item.consultation,
        answers=answers,
        details=details,
        bookings=bookings,
        safe_name=files.safe_name,
    )


@bp.get("/attachments/<int(max=2147483647):attachment_id>")
def attachment(attachment_id: int):
    """A document sent with evidence, as a download under a safe version of its name."""
    item = db.session.get(Attachment, attachment_id)
    if item is None:
        abort(404)
    path = Path(current_app.config["UPLOAD_FOLDER"]) / item.stored_name
    if not path.is_file():
        abort(404)
    record_audit(
        current_user.email,
        "download",
        item.response.consultation,
        f"Downloaded {item.original_name} from {item.response.reference}",
    )
    db.session.commit()
    download = send_file(
        path,
        mimetype=files.MEDIA_TYPES[item.file_type],
        as_attachment=True,
        download_name=files.safe_name(item.original_name, item.file_type),
    )
    download.headers["Cache-Control"] = "no-store"  # a respondent's document: keep no copy
    return download
