"""Reading the responses a consultation has received."""

from __future__ import annotations

from flask import abort, current_app, request, send_file
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.admin import bp, versions
from app.admin.filters import FilterForm, filtered, tags_of
from app.admin.forms import NoteForm, ResponseTagsForm
from app.consultations.lookup import get_for_staff_or_404
from app.evidence import files
from app.evidence import services as evidence
from app.extensions import db
from app.intake import channels
from app.models import SUBMITTED, Attachment, Booking, Response, record_audit
from app.web.rendering import render_page, whole_page_for_htmx

PAGE_SIZE = 50


@bp.get("/consultations/<slug>/responses")
def responses(slug: str):
    """The consultation's responses, newest first, filtered and a page at a time."""
    consultation = get_for_staff_or_404(slug)
    form = FilterForm(consultation, request.args)
    context = {"consultation": consultation, "form": form, "channel_labels": channels.labels()}
    if not form.validate():
        # The whole page, also for htmx: the messages belong by the filters, outside #found.
        return whole_page_for_htmx(
            render_page(
                "admin/responses.html",
                status=422,
                responses=[],
                page=1,
                pages=1,
                total=0,
                **context,
            )
        )
    matching = filtered(consultation, form)
    total = db.session.scalar(select(func.count()).select_from(matching.subquery()))
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    rows = db.session.scalars(
        matching.options(selectinload(Response.tags))
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_page(
        "admin/responses.html",
        "admin/_responses_found.html",
        responses=rows,
        page=page,
        pages=pages,
        total=total,
        **context,
    )


@bp.get("/responses/<id:response_id>")
def response(response_id: int):
    """One submitted response in full, with its tags and notes."""
    return response_page(submitted_or_404(response_id))


def submitted_or_404(response_id: int) -> Response:
    item = db.session.get(Response, response_id)
    if item is None or item.status != SUBMITTED:
        abort(404)
    return item


def response_page(
    item: Response,
    status: int = 200,
    tag_form: ResponseTagsForm | None = None,
    note_form: NoteForm | None = None,
    fragment: str | None = None,
    saved: str = "",
):
    """The response page, or one of its panels for htmx, with any errors of its forms."""
    channel = channels.of(item)
    zone = current_app.config["SITE_ZONE"]
    bookings = db.session.scalars(
        select(Booking).filter_by(response_id=item.id).order_by(Booking.id)
    ).all()
    tags = tags_of(item.consultation)
    if tag_form is None:
        tag_form = ResponseTagsForm(tags, formdata=None, tags=[str(tag.id) for tag in item.tags])
    return render_page(
        "admin/response.html",
        fragment,
        status=status,
        item=item,
        consultation=item.consultation,
        answers=channel.answer_rows(item),
        details=channel.detail_rows(item),
        bookings=bookings,
        tag_form=tag_form,
        note_form=note_form or NoteForm(formdata=None),
        safe_name=files.safe_name,
        saved=saved,
        history=versions.older_versions(item),
        first_late=versions.first_sent_late(item),
        on_day=lambda moment: versions.on_day(moment, zone),
    )


@bp.get("/attachments/<id:attachment_id>")
def attachment(attachment_id: int):
    """A document sent with evidence, as a download under a safe version of its name."""
    item = db.session.get(Attachment, attachment_id)
    if item is None:
        abort(404)
    path = evidence.upload_folder() / item.stored_name
    if not path.is_file():
        abort(404)
    record_audit(
        current_user.email,
        "download",
        item.response.consultation,
        # Its type and size, not its name, which may name the respondent.
        f"Downloaded a document ({item.file_type.upper()}, {item.size:,} bytes)"
        f" from {item.response.reference}",
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
