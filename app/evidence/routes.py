"""Views for sending written evidence."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for

from app.consultations.lookup import get_by_slug_or_404, open_channel_or_abort
from app.evidence import bp, services
from app.evidence.forms import MB, EvidenceForm
from app.extensions import csrf, limiter
from app.intake.submissions import (
    admit,
    form_token,
    keep_or_stamp,
    last_sent,
    looks_automated,
    new_token,
    read_stamp,
    remember_sent,
    submit_rate_limit,
)
from app.models import Consultation
from app.runtime import clock
from app.web.errors import render_error


def _consultation(slug: str) -> tuple[Consultation, dict]:
    """The consultation and its evidence settings; 404 unless it asks for evidence."""
    consultation = get_by_slug_or_404(slug)
    settings = services.settings(consultation)
    if not settings["topics"]:  # nothing to choose from: say why when not open, else 404
        open_channel_or_abort(consultation, "evidence", clock.now())
        abort(404)
    return consultation, settings


def _body_limit(settings: dict) -> int:
    """Bodies far larger than anything allowed are cut off unread; anything nearer is
    read, so that a file a little too large gets a message by the field."""
    rules = settings["attachments"]
    generous = 2 * rules["max_files"] * rules["max_mb"] * MB + 2 * MB
    return min(generous, current_app.config["MAX_CONTENT_LENGTH"])


def limits_text(settings: dict) -> str:
    """The upload limits in words, for the form and the 413 page."""
    rules = settings["attachments"]
    if not rules["max_files"]:
        return "You cannot attach documents to this consultation."
    kinds = ", ".join(t.upper() for t in rules["types"])
    return (
        f"You can attach up to {rules['max_files']} "
        f"{'file' if rules['max_files'] == 1 else 'files'}, each {rules['max_mb']} MB or"
        f" smaller, in these formats: {kinds}."
    )


def _written(form: EvidenceForm) -> list[tuple[str, str]]:
    """What the respondent typed, for the closed page to show back."""
    rows = [
        ("Full name", form.name.data or ""),
        ("Themes", "; ".join(form.topics.data or [])),
        ("Your evidence", form.evidence.data or ""),
    ]
    return [(label, value) for label, value in rows if value.strip()]


@bp.route("", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
@csrf.exempt  # checked below, once the body limit for this consultation is set
def submit(slug: str):
    """The evidence form: refused with 422 and every answer kept until it is right."""
    consultation, settings = _consultation(slug)
    now = clock.now()
    if request.method == "POST":
        # The CSRF check reads the body, so the limit must be set before it runs.
        request.max_content_length = _body_limit(settings)
        csrf.protect()
    form = EvidenceForm(settings)
    if request.method == "GET":
        admit(consultation, "evidence", now, None)
        form.token.data = new_token()
    else:
        loaded_at = read_stamp(form.loaded.data)
        token = form_token(form.token.data)
        already = services.find_by_token(consultation, token)  # sent already, on time
        late = already is None and admit(
            consultation, "evidence", now, loaded_at, lambda: _written(form)
        )
        if already is None and looks_automated(form.website.data, loaded_at, now):
            return render_template("public/received.html", consultation=consultation)
        if already is None and form.validate():
            already = services.submit(consultation, form, token, loaded_at, now, late)
        if already is not None:
            remember_sent(consultation, already)
            return redirect(url_for("evidence.confirmation", slug=slug), code=303)
        form.token.data = token
    keep_or_stamp(form.loaded, now)
    sent_files = any(getattr(f, "filename", "") for f in request.files.getlist("documents"))
    return render_template(
        "evidence/form.html",
        consultation=consultation,
        settings=settings,
        form=form,
        limits=limits_text(settings),
        choose_again=bool(form.errors) and sent_files,
    ), (422 if form.errors else 200)


@bp.get("/confirmation")
def confirmation(slug: str):
    """Evidence sent: the reference, and the receipt on its way."""
    consultation = get_by_slug_or_404(slug)
    response = last_sent(consultation, "evidence")
    if response is None:
        return redirect(url_for("evidence.submit", slug=slug), code=303)
    return render_template(
        "evidence/confirmation.html", consultation=consultation, response=response
    )


@bp.errorhandler(413)
def too_large(error):
    """A body far larger than allowed: say what the limits are."""
    consultation = get_by_slug_or_404(request.view_args["slug"])
    return render_error(
        413,
        "The files you chose are too large",
        limits_text(services.settings(consultation))
        + " Go back and choose smaller files. What you typed was not sent.",
    )
