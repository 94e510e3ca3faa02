"""Reading the responses a consultation has received."""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import func, select

from app.admin import bp
from app.consultations import get_by_slug_or_404
from app.extensions import db
from app.models import SUBMITTED, Response
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


@bp.get("/responses/<int:response_id>")
def response(response_id: int):
    """One submitted response in full."""
    item = db.session.get(Response, response_id)
    if item is None or item.status != SUBMITTED:
        abort(404)
    answers = []
    if item.channel == "survey":
        questions = list(item.consultation.questions)
        answers = [(q.prompt, text) for q, text in survey.answer_rows(questions, item.answers)]
    return render_template(
        "admin/response.html",
        item=item,
        consultation=item.consultation,
        answers=answers,
        details=survey.detail_rows(item),
    )
