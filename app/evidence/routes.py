"""Views for sending written evidence, and for changing it from the respondent's link."""

from __future__ import annotations

from functools import partial

from flask import abort, current_app, redirect, render_template, request, url_for

from app.consultations.lookup import get_by_slug_or_404, open_channel_or_abort
from app.evidence import bp, services
from app.evidence.channel import EVIDENCE
from app.evidence.forms import MB, EvidenceChangeForm, EvidenceForm
from app.extensions import csrf, limiter
from app.intake import links
from app.intake.change_forms import Merged, answer
from app.intake.changes import ChangeSending, Outcome, snapshot
from app.intake.channel import Sender, Sending
from app.intake.sending import send_once, sent_confirmation
from app.intake.submissions import (
    form_token,
    keep_or_stamp,
    looks_automated,
    new_token,
    read_stamp,
    submit_rate_limit,
)
from app.models import Consultation, Response
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


# --- changing evidence sent, from the respondent's link ------------------------------------


def _filled_in(response: Response) -> dict:
    """The change form's values: what the respondent sent, consent as they gave it."""
    return {
        "name": response.name,
        "email": response.email,
        "organisation": response.organisation,
        "respondent_type": response.respondent_type,
        "topics": response.topics,
        "evidence": response.evidence_text,
        "publish": response.publish,
        "consent": response.consent,
    }


def _change_page(
    response: Response,
    form: EvidenceChangeForm,
    token: str,
    status: int = 200,
    merged: Merged | None = None,
):
    """The change form; after a conflict (409), with the response as it is now and
    what merging the change made there did."""
    consultation = response.consultation
    settings = services.settings(consultation)
    keep_or_stamp(form.loaded, clock.now())
    sent_files = any(getattr(f, "filename", "") for f in request.files.getlist("documents"))
    return render_template(
        "evidence/change.html",
        consultation=consultation,
        settings=settings,
        form=form,
        limits=limits_text(settings),
        choose_again=status != 200 and sent_files,
        response=response,
        link=token,
        now_reads=None if merged is None else snapshot(response),
        merged=merged,
    ), status


def _overtaken(response: Response, form: EvidenceChangeForm, token: str):
    """The form again after a conflict: the change made elsewhere merged into it (the
    boxes of documents removed there gone), to send again on top of that change."""
    form.list_documents(response.attachments)
    merged = form.merge(response.version, _filled_in(response))
    return _change_page(response, form, token, status=409, merged=merged)


def _change_wanted(form: EvidenceChangeForm) -> services.EvidenceChange:
    """What the valid change form asks for, read into plain values."""
    sender = Sender(
        name=form.name.data.strip(),
        email=form.email.data,
        organisation=(form.organisation.data or "").strip(),
    )
    return services.EvidenceChange(sender, _evidence(form), frozenset(form.removed_ids))


@bp.route("/change/<token>", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
@csrf.exempt  # checked below, once the body limit for this consultation is set
def change(slug: str, token: str):
    """Change the evidence sent, from the respondent's link: the form filled in with it,
    documents to remove and to add, and the same rules as sending it."""
    consultation = get_by_slug_or_404(slug)
    settings = services.settings(consultation)
    if request.method == "POST":
        # The CSRF check reads the body, so the limit must be set before it runs.
        request.max_content_length = _body_limit(settings)
        csrf.protect()
    response = EVIDENCE.sent_by_link(consultation, token)
    if response is None:
        return links.not_working()
    now = clock.now()
    if request.method == "GET":
        if not (consultation.offers(EVIDENCE.name) and EVIDENCE.takes_changes(consultation, now)):
            return redirect(url_for(links.VIEW_ENDPOINT, token=token), code=303)
        values = _filled_in(response)
        form = EvidenceChangeForm(
            settings, response.attachments, data={**values, "token": new_token()}
        )
        form.loaded_from(response.version, values)
        return _change_page(response, form, token)
    form = EvidenceChangeForm(settings, response.attachments)
    form.token.data = form_token(form.token.data)
    loaded_at = read_stamp(form.loaded.data)
    late = EVIDENCE.admit(
        consultation,
        now,
        loaded_at,
        form.typed,
        response_url=url_for(links.VIEW_ENDPOINT, token=token),
    )
    # Only the holder of the link reaches this form, and removing a document or fixing a
    # word takes a moment: the honeypot and the stamp are guard enough, not the time.
    if looks_automated(form.website.data, loaded_at, now, min_seconds=0):
        return render_template("public/received.html", consultation=consultation)
    overtaken = partial(_overtaken, response, form, token)
    # Sent already (a double tap, a refresh), or overtaken by a change made elsewhere:
    # said before the form is checked, which counts documents against the response as it
    # is now and would count those this very form added.
    if form.token.data == response.change_token:
        return answer(Outcome.ALREADY, response, token, overtaken)
    if form.version_loaded != response.version:
        return answer(Outcome.CONFLICT, response, token, overtaken)
    if not form.validate():
        return _change_page(response, form, token, status=422)
    sending = ChangeSending(form.token.data, form.version_loaded, now, late, token)
    outcome = services.change(response, _change_wanted(form), sending)
    return answer(outcome, response, token, overtaken)


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
