"""The pages of moderation: the queue of reported and hidden comments, one comment with
its reports and the moderator's actions, and a reader, who can be blocked from commenting.
Admins and officers alike may moderate.

Every action answers a page left open while the comment or reader went (deleted by its
author, or with its reader's account) with a 404 page saying so, not an error.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.moderation import services
from app.admin.moderation.forms import DELETE, BlockForm, HideForm
from app.comments.rules import HIDE_AT
from app.extensions import db
from app.models import Comment, Reader
from app.runtime import clock

COMMENT = "/comments/<id:comment_id>"
READER = "/readers/<id:reader_id>"

# What the pages say about a comment and its reports.
WORDS = {
    "state_name": lambda comment: services.STATE_NAMES.get(comment.status, comment.status),
    "reason_name": services.reason_name,
    "excerpt": services.excerpt,
    "author_name": services.author_name,
    "public_link": lambda comment: url_for(
        "news.post", slug=comment.post.slug, _anchor=f"comment-{comment.id}"
    ),
    "hide_at": HIDE_AT,
    "account_deleted": services.account_deleted,
}


def _gone(what: str):
    """The page for a comment or reader that no longer exists."""
    return render_template("admin/moderation/gone.html", what=what), 404


def _comment_gone():
    return _gone("comment")


def _reader_gone():
    return _gone("reader")


@bp.get("/comments")
def moderation():
    """Reported, hidden and removed comments: the newest report first, then the most
    reported."""
    total = services.queue_size()
    pages = max((total + services.PAGE_SIZE - 1) // services.PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template(
        "admin/moderation/queue.html",
        rows=services.queue(page),
        page=page,
        pages=pages,
        total=total,
        **WORDS,
    )


def _comment_page(comment: Comment, form: HideForm, status: int = 200):
    return render_template(
        "admin/moderation/comment.html",
        comment=comment,
        reports=services.reports_of(comment),
        form=form,
        **WORDS,
    ), status


@bp.get(COMMENT)
def moderation_comment(comment_id: int):
    """A comment in full, its reports with their reasons and notes, its reader, and what a
    moderator can do."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        return _comment_gone()
    return _comment_page(comment, HideForm(formdata=None))


def _back_to_comment(comment_id: int, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("admin.moderation_comment", comment_id=comment_id), code=303)


@bp.post(f"{COMMENT}/hide")
def moderation_hide(comment_id: int):
    """Remove the comment from its thread, with a reason (or change the reason)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        return _comment_gone()
    form = HideForm()
    if not form.validate():
        return _comment_page(comment, form, 422)
    if not services.hide(current_user.email, comment.id, form.reason.data, clock.now()):
        return _comment_gone()
    return _back_to_comment(comment_id, "The comment is removed from its thread.")


@bp.post(f"{COMMENT}/restore")
def moderation_restore(comment_id: int):
    """Show the comment in its thread again; its reports are dismissed.

    A one-button form: CSRFProtect has checked its token."""
    done = services.restore(current_user.email, comment_id, clock.now())
    if done is None:
        return _comment_gone()
    if not done:
        message = "The comment is already shown and has no reports."
        return _back_to_comment(comment_id, message, "warning")
    return _back_to_comment(comment_id, "The comment is shown again and its reports are dismissed.")


@bp.post(f"{COMMENT}/dismiss")
def moderation_dismiss(comment_id: int):
    """Dismiss the comment's reports; a comment they hid is shown again."""
    done = services.dismiss_reports(current_user.email, comment_id, clock.now())
    if done is None:
        return _comment_gone()
    if not done:
        return _back_to_comment(comment_id, "The comment has no reports to dismiss.", "warning")
    return _back_to_comment(comment_id, "The reports are dismissed.")


def _reader_page(reader: Reader, form: BlockForm, status: int = 200):
    return render_template(
        "admin/moderation/reader.html",
        reader=reader,
        count=services.comment_count(reader),
        comments=services.comments_of(reader),
        form=form,
        **WORDS,
    ), status


@bp.get(READER)
def moderation_reader(reader_id: int):
    """A reader: their name and address, their comments, and blocking them."""
    reader = db.session.get(Reader, reader_id)
    if reader is None:
        return _reader_gone()
    return _reader_page(reader, BlockForm(formdata=None))


def _back_to_reader(reader_id: int, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("admin.moderation_reader", reader_id=reader_id), code=303)


@bp.post(f"{READER}/block")
def moderation_block(reader_id: int):
    """Stop the reader commenting, keeping or deleting their comments."""
    reader = db.session.get(Reader, reader_id)
    if reader is None:
        return _reader_gone()
    form = BlockForm()
    if not form.validate():
        return _reader_page(reader, form, 422)
    deleting = form.comments.data == DELETE
    if not services.block(current_user.email, reader.id, form.reason.data, deleting, clock.now()):
        return _reader_gone()
    kept = "Their comments are deleted." if deleting else "Their comments are kept."
    return _back_to_reader(reader_id, f"The reader is blocked from commenting. {kept}")


@bp.post(f"{READER}/unblock")
def moderation_unblock(reader_id: int):
    """Let the reader comment again."""
    done = services.unblock(current_user.email, reader_id)
    if done is None:
        return _reader_gone()
    if not done:
        return _back_to_reader(reader_id, "The reader is not blocked.", "warning")
    if db.session.get(Reader, reader_id) is None:
        flash(
            "The block is lifted. They had deleted their account, so nothing of it is kept.",
            "success",
        )
        return redirect(url_for("admin.moderation"), code=303)
    return _back_to_reader(reader_id, "The reader can comment again.")
