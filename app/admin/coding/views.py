"""Views for coding responses: defining tags, tagging a response, private notes."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.auth import admin_only
from app.admin.coding import services as coding
from app.admin.filters import tags_of
from app.admin.forms import ActionForm, NoteForm, ResponseTagsForm, TagForm
from app.admin.responses import response_page, submitted_or_404
from app.consultations.lookup import get_for_staff_or_404
from app.extensions import db, htmx
from app.models import Tag
from app.web.rendering import after_post


@bp.get("/consultations/<slug>/tags")
def tags(slug: str):
    """The consultation's tags and how many responses carry each."""
    consultation = get_for_staff_or_404(slug)
    return _tags_page(consultation, TagForm(formdata=None))


def _tags_page(consultation, form: TagForm, status: int = 200):
    return render_template(
        "admin/tags.html",
        consultation=consultation,
        form=form,
        tag_counts=coding.tag_counts(consultation),
    ), status


@bp.post("/consultations/<slug>/tags")
@admin_only
def add_tag(slug: str):
    """Define a new tag."""
    consultation = get_for_staff_or_404(slug)
    form = TagForm()
    if form.validate_on_submit():
        try:
            coding.add_tag(consultation, form.name.data, form.description.data, current_user.email)
        except coding.TagNameTaken:
            form.name.errors.append("There is already a tag with this name")
        else:
            flash(f"Tag {form.name.data} added.", "success")
            return redirect(url_for("admin.tags", slug=slug), code=303)
    return _tags_page(consultation, form, 422)


@bp.route("/tags/<id:tag_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_tag(tag_id: int):
    """Rename a tag or change what it covers."""
    tag = _tag_or_404(tag_id)
    consultation = tag.consultation
    form = TagForm(obj=tag)
    if form.validate_on_submit():
        try:
            changed = coding.change_tag(
                tag, form.name.data, form.description.data, current_user.email
            )
        except coding.TagNameTaken:
            form.name.errors.append("There is already a tag with this name")
        else:
            flash("Tag saved." if changed else "Nothing changed.", "success")
            return redirect(url_for("admin.tags", slug=consultation.slug), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "admin/tag_edit.html", form=form, tag=tag, consultation=consultation
    ), status


@bp.route("/tags/<id:tag_id>/delete", methods=["GET", "POST"])
@admin_only
def delete_tag(tag_id: int):
    """Delete a tag after a confirmation: it comes off every response."""
    tag = _tag_or_404(tag_id)
    consultation = tag.consultation
    form = ActionForm()
    if form.validate_on_submit():
        carried = coding.remove_tag(tag, current_user.email)
        flash(f"Tag {tag.name} deleted and taken off {carried} responses.", "success")
        return redirect(url_for("admin.tags", slug=consultation.slug), code=303)
    return render_template("admin/tag_delete.html", form=form, tag=tag, consultation=consultation)


@bp.post("/responses/<id:response_id>/tags")
def tag_response(response_id: int):
    """Set the tags a response carries."""
    item = submitted_or_404(response_id)
    tags = tags_of(item.consultation)
    form = ResponseTagsForm(tags)
    if not form.validate_on_submit():
        return response_page(item, 422, tag_form=form, fragment=_fragment("tags"))
    chosen = [tag for tag in tags if str(tag.id) in set(form.tags.data or [])]
    changed = coding.set_tags(item, chosen, current_user.email)
    message = "Tags saved." if changed else "No change to the tags."
    return after_post(
        url_for("admin.response", response_id=item.id, _anchor="tags"),
        lambda: response_page(item, fragment=_fragment("tags"), saved=message),
        message,
    )


@bp.post("/responses/<id:response_id>/notes")
def add_note(response_id: int):
    """Add a private note to a response."""
    item = submitted_or_404(response_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return response_page(item, 422, note_form=form, fragment=_fragment("notes"))
    coding.add_note(item, form.text.data, current_user.email)
    return after_post(
        url_for("admin.response", response_id=item.id, _anchor="notes"),
        lambda: response_page(item, fragment=_fragment("notes"), saved="Note added."),
        "Note added.",
    )


def _fragment(panel: str) -> str | None:
    """The panel's template for an htmx request that targets that panel alone."""
    return f"admin/_response_{panel}.html" if htmx and htmx.target == panel else None


def _tag_or_404(tag_id: int) -> Tag:
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        abort(404)
    return tag
