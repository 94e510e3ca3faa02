"""The pages for writing news posts: the list, a new post, changing one, its preview, and
publishing and unpublishing it. Admins and officers may do all of it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.news import services
from app.admin.news.forms import NewsPostForm
from app.extensions import db
from app.models import NewsPost
from app.runtime import clock

ID = "<id:post_id>"


def _post_or_404(post_id: int) -> NewsPost:
    post = db.session.get(NewsPost, post_id)
    if post is None:
        abort(404)
    return post


def _text(form: NewsPostForm) -> services.PostText:
    return services.PostText(
        title=form.title.data,
        slug=form.slug.data,
        summary=form.summary.data,
        body=form.body.data,
        author_name=form.author_name.data,
        consultation_id=form.consultation_id,
        comments_on=form.comments_on.data,
        close_with_consultation=form.close_with_consultation.data,
    )


def _values(post: NewsPost) -> dict:
    """The form's fields as the post has them."""
    return {
        "title": post.title,
        "slug": post.slug,
        "summary": post.summary,
        "body": post.body,
        "author_name": post.author_name,
        "consultation": str(post.consultation_id) if post.consultation_id else "",
        "comments_on": post.comments_on,
        "close_with_consultation": post.close_with_consultation,
    }


def _write_page(form: NewsPostForm, post: NewsPost | None):
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/news/write.html", form=form, post=post), status


def _save(form: NewsPostForm, post: NewsPost | None):
    """Save a valid form: the new post or the change; None (with the error on the form's
    web address) when the address cannot be used."""
    try:
        if post is None:
            return services.new_draft(_text(form), current_user.email, clock.now()), True
        return post, services.change(post, _text(form), current_user.email, clock.now())
    except (services.SlugTaken, services.NoSlug) as problem:
        form.slug.errors = [problem.message]
        return None, False


@bp.get("/news")
def news_posts():
    """Every news post, drafts and published, the newest written first."""
    return render_template("admin/news/index.html", posts=services.all_posts())


@bp.route("/news/new", methods=["GET", "POST"])
def news_post_new():
    """Write a post; it is kept as a draft to preview and publish."""
    form = NewsPostForm(services.consultation_choices())
    if form.validate_on_submit():
        post, _new = _save(form, None)
        if post is not None:
            flash("Your post is saved as a draft. Check it before you publish it.", "success")
            return redirect(url_for("admin.news_post_preview", post_id=post.id), code=303)
    return _write_page(form, None)


@bp.route(f"/news/{ID}", methods=["GET", "POST"])
def news_post_edit(post_id: int):
    """Change a post: a draft, or a published post, whose changes show at once."""
    post = _post_or_404(post_id)
    # Only what was sent counts when the form is sent: a field left out is empty, not kept.
    shown = _values(post) if request.method == "GET" else None
    form = NewsPostForm(services.consultation_choices(), data=shown)
    if form.validate_on_submit():
        saved, changed = _save(form, post)
        if saved is not None:
            flash("Your changes are saved." if changed else "Nothing was changed.", "success")
            return redirect(url_for("admin.news_post_preview", post_id=post.id), code=303)
    return _write_page(form, post)


@bp.get(f"/news/{ID}/preview")
def news_post_preview(post_id: int):
    """The post as readers see it (or will), under a banner saying it is a preview."""
    return render_template("news/post.html", post=_post_or_404(post_id), preview=True)


@bp.post(f"/news/{ID}/publish")
def news_post_publish(post_id: int):
    """Put the post on the site. A one-button form: CSRFProtect has checked its token."""
    post = _post_or_404(post_id)
    if services.publish(post, current_user.email, clock.now()):
        flash(f"Your post is published at /news/{post.slug}.", "success")
    else:
        flash("This post was already published.", "success")
    return redirect(url_for("admin.news_post_preview", post_id=post.id), code=303)


@bp.post(f"/news/{ID}/unpublish")
def news_post_unpublish(post_id: int):
    """Take the post off the site; it can be published again, with its first date."""
    post = _post_or_404(post_id)
    if services.unpublish(post, current_user.email):
        flash("Your post is unpublished: readers can no longer see it.", "success")
    else:
        flash("This post was not published.", "success")
    return redirect(url_for("admin.news_post_preview", post_id=post.id), code=303)
