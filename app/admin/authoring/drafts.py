"""A consultation's own admin page: its settings, what it still needs before it can be
published, and publishing it, setting it back to draft, copying it and downloading it as
a file. Officers read the page; only admins act on it."""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import Length

from app.admin import bp
from app.admin.auth import admin_only
from app.admin.authoring import publishing as services
from app.admin.authoring.settings import SlugTaken, free_slug, no_slug_made_from
from app.admin.authoring.settings_form import SettingsForm
from app.admin.consultation_settings import ALERT_MODE_LABELS
from app.admin.forms import ActionForm
from app.consultations import checklist, files
from app.consultations.lifecycle import State
from app.consultations.lookup import get_for_staff_or_404
from app.evidence.services import settings as evidence_settings
from app.extensions import db
from app.formatting import timefmt
from app.intake import channels
from app.models import Consultation, record_audit
from app.runtime import clock
from app.web.forms import Form, limited_text

YAML_TYPE = "application/yaml"


COPY_TITLE_LENGTH = 200  # a consultation's title column


class CopyForm(Form):
    """The title and web address of a copy (left empty, made from the title); the file's
    checks do the rest."""

    title = limited_text(
        "Title", COPY_TITLE_LENGTH, required="Enter a title for the copy", one_line=True
    )
    slug = StringField(
        "Web address",
        validators=[Length(max=80, message="Enter 80 characters or fewer")],
        filters=[lambda value: value.strip() if value else ""],
    )


@bp.get("/consultations/<slug>")
def consultation_page(slug: str):
    """The consultation's settings, what it still needs while it is a draft, and (for
    admins) publishing, setting back to draft, copying and downloading it."""
    return _page(get_for_staff_or_404(slug))


@bp.post("/consultations/<slug>/publish")
@admin_only
def consultation_publish(slug: str):
    """Publish a draft once nothing is missing; a second press changes nothing."""
    consultation = get_for_staff_or_404(slug)
    now = clock.now()
    try:
        published = services.publish(consultation, current_user.email, now)
    except services.NotReady as refusal:
        return _page(consultation, refused=refusal.missing)
    if published:
        flash(f"{consultation.title} is published. {_when_open(consultation, now)}", "success")
    else:
        flash(f"{consultation.title} was already published. Nothing changed.", "success")
    return redirect(url_for("admin.consultation_page", slug=slug), code=303)


@bp.route("/consultations/<slug>/unpublish", methods=["GET", "POST"])
@admin_only
def consultation_unpublish(slug: str):
    """Ask to be sure, then take a consultation nobody has responded to off the site."""
    consultation = get_for_staff_or_404(slug)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            changed = services.unpublish(consultation, current_user.email)
        except services.HasResponses:
            return _unpublish_page(consultation, form, 409)
        flash(
            f"{consultation.title} is a draft again: the public cannot see it."
            if changed
            else f"{consultation.title} was already a draft. Nothing changed.",
            "success",
        )
        return redirect(url_for("admin.consultation_page", slug=slug), code=303)
    refused = not consultation.is_draft and not services.may_set_back(consultation)
    return _unpublish_page(consultation, form, 409 if refused else 200)


@bp.route("/consultations/<slug>/copy", methods=["GET", "POST"])
@admin_only
def consultation_copy(slug: str):
    """Copy a consultation into a new draft, to run it again."""
    source = get_for_staff_or_404(slug)
    form = CopyForm()
    if not form.is_submitted():
        form.title.data = copy_title(source.title)
        form.slug.data = services.suggested_slug(source)
    elif form.validate() and (slug := _copy_slug(form)):
        try:
            copied = services.copy(source, slug, form.title.data, current_user.email, clock.now())
        except services.CopyRefused as refusal:
            _show_by_field(form, refusal.by_key)
        except SlugTaken as taken:
            form.slug.errors.append(taken.message)
        else:
            flash(f"{copied.title} is a new draft, copied from {source.title}.", "success")
            return redirect(url_for("admin.consultation_page", slug=copied.slug), code=303)
    status = 422 if form.errors else 200
    return render_template("admin/authoring/copy.html", form=form, consultation=source), status


@bp.get("/consultations/<slug>/export.yaml")
@admin_only
def consultation_export(slug: str):
    """The consultation as a file in the format the command-line import reads."""
    consultation = get_for_staff_or_404(slug)
    text = files.file_text(consultation)
    name = f"{consultation.slug}.yaml"
    record_audit(current_user.email, "export_file", consultation, f"Downloaded as {name}")
    db.session.commit()
    download = Response(text, mimetype=YAML_TYPE)
    download.headers.set("Content-Disposition", "attachment", filename=name)
    download.headers["Cache-Control"] = "no-store"  # the officer's contact details
    return download


def _page(consultation: Consultation, refused: list[checklist.Missing] | None = None):
    """The consultation's page; with `refused`, the checklist a publish was refused by."""
    now = clock.now()
    zone = current_app.config["SITE_ZONE"]
    if refused is not None:
        missing = refused
    else:
        missing = services.missing(consultation, now) if consultation.is_draft else []
    published_on = (
        timefmt.long_date(consultation.published_at.astimezone(zone))
        if consultation.published_at
        else ""
    )
    page = render_template(
        "admin/authoring/consultation.html",
        consultation=consultation,
        state=consultation.state(now).value,
        published_on=published_on,
        missing=missing,
        refused=refused or [],
        checklist_links=_checklist_links(consultation),
        responded=_responded(*services.response_counts(consultation)),
        ways=[channel.title for channel in channels.offered(consultation)],
        evidence=evidence_settings(consultation),
        alerts=ALERT_MODE_LABELS[consultation.alert_mode],
    )
    return page, 422 if refused else 200


def _checklist_links(consultation: Consultation) -> dict[str, str]:
    """For each checklist item, the settings form's field that puts it right; none for an
    officer, who cannot change the settings. Only a draft has a checklist."""
    if not (current_user.is_admin and consultation.is_draft):
        return {}
    settings_url = url_for("admin.consultation_edit", slug=consultation.slug)
    links = SettingsForm(formdata=None).checklist_anchors(settings_url)
    # The survey's questions are made in the survey builder, not the settings form.
    return {**links, "survey": url_for("admin.survey_builder", slug=consultation.slug)}


def _when_open(consultation: Consultation, now: datetime) -> str:
    """What publishing has made of it, said in the site's time."""
    zone = current_app.config["SITE_ZONE"]
    state = consultation.state(now)
    if state is State.FORTHCOMING:
        return f"It opens at {timefmt.local_time(consultation.opens_at, zone)}."
    if state is State.OPEN:
        return f"It is open now, until {timefmt.local_time(consultation.closes_at, zone)}."
    return "It is closed, because it was set to closed by hand."


def _unpublish_page(consultation: Consultation, form: ActionForm, status: int):
    return render_template(
        "admin/authoring/unpublish.html",
        consultation=consultation,
        form=form,
        refused=status == 409,
        responded=_responded(*services.response_counts(consultation)),
    ), status


def _responded(sent: int, in_progress: int) -> str:
    """Who has taken part, as "1 response has been received and 2 people have a survey in
    progress"; empty when nobody has."""
    said = []
    if sent:
        said.append(f"{sent:,} {'response has' if sent == 1 else 'responses have'} been received")
    if in_progress:
        people = "person has" if in_progress == 1 else "people have"
        said.append(f"{in_progress:,} {people} a survey in progress")
    return " and ".join(said)


def copy_title(title: str) -> str:
    """The title suggested for a copy: the source's with " (copy)", shortened to fit."""
    ending = " (copy)"
    return title[: COPY_TITLE_LENGTH - len(ending)].rstrip() + ending


def _copy_slug(form: CopyForm) -> str:
    """The web address typed, or else one made from the title that nobody has yet; empty,
    with the reason by the field, when the title gives none."""
    if form.slug.data:
        return form.slug.data
    made = free_slug(form.title.data)
    if not made:
        form.slug.errors.append(no_slug_made_from(form.title.data))
    return made


def _show_by_field(form: CopyForm, by_key: list[tuple[str, str]]) -> None:
    """Each problem by its field; those about the copied settings above the form."""
    for key, what in by_key:
        message = what[:1].upper() + what[1:]
        if key in ("title", "slug"):
            form[key].errors.append(message)
        else:
            form.form_errors.append(f"The settings being copied have a problem: {key}: {what}")
