"""Views for sending written evidence."""

from __future__ import annotations

from functools import partial

from flask import abort, current_app, render_template, request

from app.consultations.lookup import get_by_slug_or_404, open_channel_or_abort
from app.evidence import bp, services
from app.evidence.channel import EVIDENCE
from app.evidence.forms import MB, EvidenceForm
from app.extensions import csrf, limiter
from app.intake.channel import Sender, Sending
from app.intake.sending import send_once, sent_confirmation
from app.intake.submissions import submit_rate_limit
from app.models import Consultation
from app.runtime import clock
from app.web.errors import render_error


def _consultation(slug: str) -> tuple[Consultation, dict]:
    """The consultation and its evidence settings; 404 unless it asks for evidence."""
    consultation = get_by_slug_or_404(slug)
    settings = services.settings(consultation)
    if not settings["topics"]:  # nothing to choose from: say why when not open, else 404
        open_channel_or_abort(consultation, EVIDENCE.name, clock.now())
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


def _evidence(form: EvidenceForm) -> services.Evidence:
    """What the valid form says, read into plain values."""
    return services.Evidence(
        respondent_type=form.respondent_type.data,
        topics=list(dict.fromkeys(form.topics.data)),
        text=form.evidence.data.strip(),
        publish=form.publish.data,
        documents=form.checked_files,
    )


def _store(consultation: Consultation, form: EvidenceForm, sender: Sender, sending: Sending):
    """Store the evidence, with its documents and emails."""
    return services.submit(consultation, sender, _evidence(form), sending)


def _unsaved(consultation: Consultation, form: EvidenceForm, sender: Sender, sending: Sending):
    """In a preview: the evidence as it would be stored, stored nowhere."""
    return services.unsaved(consultation, sender, _evidence(form), sending)


def _documents_in_preview(form: EvidenceForm) -> list[str]:
    """In a preview: what would become of the documents, which passed every check."""
    names = [checked.original_name for checked in form.checked_files]
    if not names:
        return []
    what = "Your document" if len(names) == 1 else "Your documents"
    return [f"{what} ({', '.join(names)}) passed our checks and would be kept with your evidence."]


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
    sent = send_once(
        EVIDENCE,
        consultation,
        form,
        now,
        partial(_store, consultation, form),
        partial(_unsaved, consultation, form),
        partial(_documents_in_preview, form),
    )
    if sent is not None:
        return sent
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
    return sent_confirmation(EVIDENCE, get_by_slug_or_404(slug), "evidence/confirmation.html")


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
