"""Creating a consultation and changing its settings: one form, checked by the
consultation file's own rules, saved whole or not at all.

A new consultation is a draft. Its web address may change until it is published. Two
admins editing at once cannot overwrite each other: the form carries the version it was
loaded with, and the second to save is shown the saved settings instead, with what they
typed listed above them. Moving the dates of a published consultation that takes
responses before or after the move first says what that does, and saves only once
confirmed.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.auth import admin_only
from app.admin.authoring import settings as services
from app.admin.authoring.settings_form import (
    LIMITS,
    SETTINGS,
    SettingsForm,
    new_values,
    saved_values,
    typed_differently,
)
from app.consultations import checklist
from app.consultations.files import (
    DEFAULT_RESPONDENT_TYPES,
    ConsultationFileError,
    ConsultationSpec,
    parse_consultation,
    survey_data,
)
from app.consultations.lookup import get_for_staff_or_404
from app.models import Consultation
from app.runtime import clock
from app.web.rendering import render_page

PAGE = "admin/authoring/settings.html"
CHECK = "admin/authoring/_settings_check.html"
CONFLICT = (
    "Someone else changed this consultation while you were editing it, so your changes"
    " are not saved. The form shows the saved settings now. Make your changes again."
)


@bp.route("/consultations/new", methods=["GET", "POST"])
@admin_only
def consultation_new():
    """Create a consultation, as a draft the public cannot see until it is published."""
    if request.method != "POST":
        return _page(SettingsForm(data=new_values()), None)
    form = SettingsForm()
    if _previewing():
        return _page(form, None, show_preview=True)
    spec = _checked(form, None)
    if spec is None:
        return _page(form, None, status=422)
    try:
        consultation = services.create_draft(spec, current_user.email, clock.now())
    except services.SlugTaken as taken:
        form.slug.errors = [taken.message]
        return _page(form, None, status=422)
    flash(f"{consultation.title} is saved as a draft. The public cannot see it yet.", "success")
    return redirect(url_for("admin.consultation_page", slug=consultation.slug), code=303)


@bp.route("/consultations/<slug>/settings", methods=["GET", "POST"])
@admin_only
def consultation_edit(slug: str):
    """Change a consultation's settings, with the same checks as when it was made."""
    consultation = get_for_staff_or_404(slug)
    zone = current_app.config["SITE_ZONE"]
    if request.method != "POST":
        return _page(SettingsForm(data=saved_values(consultation, zone)), consultation)
    form = SettingsForm()
    if _previewing():
        return _page(form, consultation, show_preview=True)
    seen = _seen_version(form)
    if seen != consultation.version:
        return _conflict(consultation, form)
    spec = _checked(form, consultation)
    if spec is None:
        return _page(form, consultation, status=422)
    now = clock.now()
    impact = services.date_change_impact(consultation, (spec.opens_at, spec.closes_at), now)
    if impact and form.confirm.data != _dates_token(spec):
        form.confirm.data = _dates_token(spec)
        return _page(form, consultation, impact=impact)
    try:
        changed = services.save_settings(consultation, spec, seen, current_user.email, now)
    except services.EditConflict:
        return _conflict(consultation, form)
    except services.SlugTaken as taken:
        form.slug.errors = [taken.message]
        return _page(form, consultation, status=422)
    flash("Settings saved." if changed else "Nothing changed.", "success")
    return redirect(url_for("admin.consultation_page", slug=consultation.slug), code=303)


@bp.post("/consultations/new/check", defaults={"slug": None})
@bp.post("/consultations/<slug>/settings/check")
@admin_only
def consultation_check(slug: str | None):
    """The page text's preview, the publishing checklist and the web address it would
    have, for what is typed, unsaved: htmx swaps them in as the admin types. Without
    htmx, the whole form with them."""
    consultation = get_for_staff_or_404(slug) if slug else None
    return _page(SettingsForm(), consultation, show_preview=True, fragment=CHECK)


# What the views share


def _previewing() -> bool:
    """Whether the Preview button sent the form: show it again, save nothing."""
    return request.form.get("action") == "preview"


def _checked(form: SettingsForm, consultation: Consultation | None) -> ConsultationSpec | None:
    """The settings as the consultation file's checks read them, or None with every problem
    by its field (the form's own checks first), a web address already used among them."""
    valid = form.validate()
    is_draft = consultation is None or consultation.is_draft
    slug = _slug(form, consultation)
    if is_draft and slug:
        taken = services.slug_owner(slug, consultation.id if consultation else None)
        if taken is not None:
            form.slug.errors = [services.SlugTaken(slug, taken).message]
    survey = survey_data(consultation) if consultation is not None else None
    zone = current_app.config["SITE_ZONE"]
    try:
        data = form.file_data(slug, survey, saved=consultation)
        spec = parse_consultation(data, "form", zone, draft=is_draft)
    except ConsultationFileError as error:
        # No web address at all was typed or made: _slug has said why, or the title's does.
        form.show_file_errors([(key, what) for key, what in error.by_key if slug or key != "slug"])
        return None
    return spec if valid and not form.errors else None


def _slug(form: SettingsForm, consultation: Consultation | None) -> str:
    """The web address to save: a published consultation keeps its own; else the one typed,
    or one made from the title."""
    if consultation is not None and not consultation.is_draft:
        return consultation.slug
    if form.slug.data:
        return form.slug.data
    made = services.free_slug(form.title.data or "", consultation.id if consultation else None)
    if not made and not form.title.errors:
        form.slug.errors = [services.no_slug_made_from(form.title.data)]
    return made


def _seen_version(form: SettingsForm) -> int | None:
    """The version the form was loaded with; None if the form says none that could be."""
    try:
        return int(form.version.data or "")
    except ValueError:
        return None


def _dates_token(spec: ConsultationSpec) -> str:
    """What the confirmation carries: the very dates the admin agreed to."""
    return f"{spec.opens_at.isoformat()} {spec.closes_at.isoformat()}"


def _conflict(consultation: Consultation, typed: SettingsForm):
    """409: the settings as saved now, in the form, with why, and above it each setting
    `typed` holds otherwise, so that nothing the admin typed is lost."""
    zone = current_app.config["SITE_ZONE"]
    form = SettingsForm(formdata=None, data=saved_values(consultation, zone))
    shown = [name for name in SETTINGS if consultation.is_draft or name != "slug"]
    unsaved = typed_differently(form, typed, shown)
    return _page(form, consultation, status=409, conflict=CONFLICT, unsaved=unsaved)


def _page(
    form: SettingsForm,
    consultation: Consultation | None,
    status: int = 200,
    show_preview: bool = False,
    fragment: str | None = None,
    **context,
):
    """The settings page, or for htmx only its preview and checklist."""
    is_draft = consultation is None or consultation.is_draft
    missing = None
    if is_draft:
        questions = len(consultation.questions) if consultation is not None else 0
        missing = checklist.missing(form.outline(questions), clock.now())
    if consultation is None:
        check_url = url_for("admin.consultation_check")
        action = url_for("admin.consultation_new")
    else:
        check_url = url_for("admin.consultation_check", slug=consultation.slug)
        action = url_for("admin.consultation_edit", slug=consultation.slug)
    suggested = ""
    if is_draft and not form.slug.data and form.title.data:
        suggested = services.free_slug(form.title.data, consultation.id if consultation else None)
    return render_page(
        PAGE,
        fragment,
        status,
        heading="Change settings" if consultation else "Create a consultation",
        form=form,
        consultation=consultation,
        is_draft=is_draft,
        action=action,
        check_url=check_url,
        show_preview=show_preview,
        missing=missing,
        checklist_links=form.checklist_anchors(""),
        suggested_slug=suggested,
        limits=LIMITS,
        defaults=new_values(),
        default_respondent_types=DEFAULT_RESPONDENT_TYPES,
        **context,
    )
