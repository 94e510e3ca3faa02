"""Views: the thread under a news post, and posting, fixing, deleting and reporting a
comment.

The post's page (app.news) includes templates/comments/_thread.html, which asks
`comment_thread(post)` for what it shows. With htmx each action happens in place: a new
comment or a deletion swaps the thread, a fix or a report swaps the comment. Without
JavaScript each action is a page of its own and a redirect (303) back to the post.

A browser that reports a comment is known by a random key kept in the site's session
cookie (created when it first reports), stored only as its hash: once per comment per
browser, whoever is signed in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask import abort, current_app, redirect, request, session, url_for
from flask_limiter.util import get_remote_address
from werkzeug import Response

from app.comments import bp, rules, services
from app.comments.forms import CommentForm, DeleteForm, ReportForm
from app.comments.text import comment_html, plain_text
from app.extensions import htmx, limiter
from app.intake.submissions import form_token, keep_or_stamp, looks_automated, read_stamp
from app.models import Comment, NewsPost, Reader
from app.models.news import VISIBLE
from app.readers.sessions import current_reader
from app.runtime import clock
from app.updates.forms import GuardedForm
from app.web.rendering import after_post, render_page, whole_page_for_htmx

REPORTER = "reporter"  # the session's key for this browser's random reporting key
REPORTER_KEY_LENGTH = 43  # secrets.token_urlsafe(32)

POSTED = "Your comment has been posted."
CHANGED = "Your comment has been changed."
DELETED = "Your comment has been deleted."
THANKS = "Thank you. A moderator will look at this comment."
ALREADY = "You have already reported this comment."
NOT_POSTED = "Your comment was not posted. Wait a few seconds, then try again."
NOT_SENT = "Your report was not sent. Wait a few seconds, then try again."

bp.add_app_template_filter(comment_html, "comment_html")
# A report's note, shown as a comment's text is: without the controls of its direction.
bp.add_app_template_filter(plain_text, "reader_text")
bp.add_app_template_global(rules.REPORT_REASONS, "comment_report_reasons")


def comments_rate_limit() -> str:
    """The limit on posting and fixing comments, per reader and per address."""
    return current_app.config["RATELIMIT_COMMENTS"]


def _reader_key() -> str:
    reader = current_reader()
    return f"reader:{reader.id}" if reader else f"address:{get_remote_address()}"


per_reader = limiter.shared_limit(
    comments_rate_limit, scope="comments-reader", key_func=_reader_key, methods=["POST"]
)
per_address = limiter.shared_limit(comments_rate_limit, scope="comments-address", methods=["POST"])
reports_limited = limiter.shared_limit(
    comments_rate_limit, scope="comment-reports", methods=["POST"]
)


# --- the thread ------------------------------------------------------------------------------


@dataclass
class Thread:
    """What the thread shows, to whom, at `now`."""

    post: NewsPost
    now: datetime
    reader: Reader | None
    open: bool
    comments: list[Comment]
    reported: set[int] = field(default_factory=set)
    form: CommentForm | None = None
    message: str = ""

    @property
    def count(self) -> int:
        """Readers' comments (N): the visible ones only."""
        return sum(1 for comment in self.comments if comment.status == VISIBLE)

    @property
    def can_comment(self) -> bool:
        return self.open and self.reader is not None and not self.reader.blocked

    @property
    def sign_in_url(self) -> str:
        return sign_in_url(self.post)

    def own(self, comment: Comment) -> bool:
        return self.reader is not None and comment.reader_id == self.reader.id

    def can_edit(self, comment: Comment) -> bool:
        """Its author may fix it for 15 minutes, while the thread is open."""
        return (
            self.own(comment)
            and self.can_comment
            and comment.status == VISIBLE
            and rules.editable(comment.created_at, self.now)
        )


@bp.app_template_global()
def comment_thread(post: NewsPost, form: CommentForm | None = None, message: str = "") -> Thread:
    """The thread under `post` as this request's reader sees it, with a new comment's form
    (stamped as served now) when they may comment."""
    now = clock.now()
    thread = Thread(
        post=post,
        now=now,
        reader=current_reader(),
        open=services.is_open(post, now),
        comments=services.thread_of(post),
        reported=services.reported_by(post, _reporter()),
        message=message,
    )
    if thread.can_comment:
        thread.form = form or CommentForm(formdata=None)
        thread.form.show_as("new-comment")
        keep_or_stamp(thread.form.loaded, now)
        # A form shown again after an error keeps its token: it has stored nothing yet.
        thread.form.token.data = form_token(thread.form.token.data)
    return thread


def author_name(comment: Comment) -> str:
    """The name shown beside a comment."""
    if comment.reader is None:
        return "A former reader"
    return comment.reader.name or "A reader"


bp.add_app_template_global(author_name, "comment_author")


def post_url(post: NewsPost, anchor: str | None = None) -> str:
    """The post's page, where its thread is."""
    return url_for("news.post", slug=post.slug, _anchor=anchor)


def sign_in_url(post: NewsPost) -> str:
    """Reader sign-in, coming back to the post's page."""
    return url_for("readers.sign_in", next=post_url(post))


def _reporter(create: bool = False) -> str | None:
    """This browser's reporting key, hashed as reports store it; made when first needed."""
    key = session.get(REPORTER)
    if not (isinstance(key, str) and len(key) == REPORTER_KEY_LENGTH):
        if not create:
            return None
        key = session[REPORTER] = secrets.token_urlsafe(32)
    return services.reporter_hash(key)


def _thread_page(post: NewsPost, thread: Thread, status: int = 200) -> Response:
    """The thread's own page, or for htmx the thread alone."""
    return render_page(
        "comments/thread.html",
        fragment="comments/_thread_body.html",
        status=status,
        post=post,
        comments_thread=thread,
        form=thread.form,
        post_url=post_url(post),
    )


def _comment_page(
    template: str, post: NewsPost, comment: Comment, status: int = 200, **context
) -> Response:
    """An action's page for `comment`, or for htmx the comment alone, as the action has it
    (context: mode = "edit", "delete" or "report" with its form, or a message)."""
    thread = comment_thread(post)
    return render_page(
        template,
        fragment="comments/_comment.html",
        status=status,
        post=post,
        comment=comment,
        comments_thread=thread,
        focus=comment.id,
        with_count=True,
        post_url=post_url(post),
        **context,
    )


def _refused(post: NewsPost, title: str, message: str, typed: str = "", sign_in: bool = False):
    """A refusal (403): what is wrong, and what was typed, to copy and keep."""
    page = render_page(
        "comments/refused.html",
        status=403,
        post=post,
        title=title,
        message=message,
        typed=typed,
        sign_in=sign_in_url(post) if sign_in else "",
        post_url=post_url(post),
    )
    return whole_page_for_htmx(page)


def _automated(form: GuardedForm, now: datetime, message: str) -> bool:
    """The bot guards; a person caught by them is told to wait and send again."""
    if looks_automated(form.website.data, read_stamp(form.loaded.data), now):
        form.form_errors.append(message)
        return True
    return False


def _post_or_404(slug: str) -> NewsPost:
    post = services.live_post(slug)
    if post is None:
        abort(404)
    return post


def _comment_or_404(slug: str, comment_id: int) -> tuple[NewsPost, Comment]:
    post = _post_or_404(slug)
    comment = services.comment_on(post, comment_id)
    if comment is None:
        abort(404)
    return post, comment


def _refuse_commenting(post: NewsPost, now: datetime, typed: str):
    """Why this request may not comment on `post`, as a page, or None."""
    if not services.is_open(post, now):
        return _refused(post, "Comments are closed", "This post no longer takes comments.", typed)
    reader = current_reader()
    if reader is None:
        return _refused(
            post,
            "Sign in to comment",
            "You need to sign in to comment. We will email you a link to sign in.",
            typed,
            sign_in=True,
        )
    if reader.blocked:
        return _refused(
            post,
            "You cannot comment",
            "A moderator has stopped you commenting on this site.",
            typed,
        )
    return None


# --- the views -------------------------------------------------------------------------------


@bp.get("/<slug>/comments")
def thread(slug: str):
    """The thread on a page of its own (for htmx, the thread alone)."""
    post = _post_or_404(slug)
    return _thread_page(post, comment_thread(post))


@bp.post("/<slug>/comments")
@per_reader
@per_address
def new(slug: str):
    """Post a comment."""
    post = _post_or_404(slug)
    now = clock.now()
    form = CommentForm()
    refusal = _refuse_commenting(post, now, form.body.data)
    if refusal is not None:
        return refusal
    reader = current_reader()
    form.token.data = token = form_token(form.token.data)
    # The same form sent again (a double click) is answered as the first send was.
    comment = services.posted_with(post, reader, token)
    if comment is None:
        if _automated(form, now, NOT_POSTED) or not form.validate():
            return _thread_page(post, comment_thread(post, form), status=422)
        comment = services.post_comment(post, reader, form.body.data, now, token)
    return after_post(
        post_url(post, f"comment-{comment.id}"),
        lambda: _thread_page(post, comment_thread(post, message=POSTED)),
        POSTED,
    )


@bp.get("/<slug>/comments/<id:comment_id>")
def comment(slug: str, comment_id: int):
    """One comment: for htmx, as the thread shows it (a cancelled action); otherwise its
    place in the thread."""
    post, comment = _comment_or_404(slug, comment_id)
    if not htmx:
        return redirect(post_url(post, f"comment-{comment.id}"), code=303)
    return _comment_page("comments/thread.html", post, comment)


@bp.route("/<slug>/comments/<id:comment_id>/edit", methods=["GET", "POST"])
@per_reader
@per_address
def edit(slug: str, comment_id: int):
    """Fix one's own comment, within 15 minutes of posting it."""
    post, comment = _comment_or_404(slug, comment_id)
    now = clock.now()
    if request.method == "POST":
        form = CommentForm()
    else:
        form = CommentForm(data={"body": comment.body})
    form.show_as(f"edit-{comment.id}")
    refusal = _refuse_editing(post, comment, now, form.body.data)
    if refusal is not None:
        return refusal
    if request.method == "POST":
        if not _automated(form, now, NOT_POSTED) and form.validate():
            services.change_comment(comment, form.body.data, now)
            return after_post(
                post_url(post, f"comment-{comment.id}"),
                lambda: _comment_page("comments/thread.html", post, comment, message=CHANGED),
                CHANGED,
            )
    keep_or_stamp(form.loaded, now)
    status = 422 if form.errors else 200
    return _comment_page("comments/edit.html", post, comment, status, mode="edit", form=form)


def _refuse_editing(post: NewsPost, comment: Comment, now: datetime, typed: str):
    refusal = _refuse_commenting(post, now, typed)
    if refusal is not None:
        return refusal
    if comment.reader_id != current_reader().id:
        return _refused(
            post, "You cannot change this comment", "You can only change your own comments."
        )
    if comment.status != VISIBLE or not rules.editable(comment.created_at, now):
        return _refused(
            post,
            "You can no longer change this comment",
            "You can change a comment for 15 minutes after you post it. You can still delete it.",
            typed,
        )
    return None


@bp.route("/<slug>/comments/<id:comment_id>/delete", methods=["GET", "POST"])
def delete(slug: str, comment_id: int):
    """Delete one's own comment, after a confirmation."""
    post, comment = _comment_or_404(slug, comment_id)
    reader = current_reader()
    if reader is None:
        return _refused(
            post, "Sign in to delete your comment", "You need to sign in first.", sign_in=True
        )
    if comment.reader_id != reader.id:
        return _refused(
            post, "You cannot delete this comment", "You can only delete your own comments."
        )
    form = DeleteForm()
    if request.method == "POST" and form.validate():
        services.delete_comment(comment)
        return after_post(
            post_url(post, "comments"),
            lambda: _thread_page(post, comment_thread(post, message=DELETED)),
            DELETED,
        )
    status = 422 if form.errors else 200
    return _comment_page("comments/delete.html", post, comment, status, mode="delete", form=form)


@bp.route("/<slug>/comments/<id:comment_id>/report", methods=["GET", "POST"])
@reports_limited
def report(slug: str, comment_id: int):
    """ "Unsuitable or offensive? Report this comment": anyone, once per browser."""
    post, comment = _comment_or_404(slug, comment_id)
    if comment.status != VISIBLE:
        abort(404)  # hidden already: there is nothing left to report
    now = clock.now()
    form = ReportForm().show_as(f"report-{comment.id}")
    # Made when the form is shown, so that a double submit carries one key, not two.
    reporter = _reporter(create=True)
    if comment.id in services.reported_by(post, reporter):
        return _comment_page("comments/report.html", post, comment, message=ALREADY)
    if request.method == "POST":
        if not _automated(form, now, NOT_SENT) and form.validate():
            outcome = services.report_comment(
                comment, form.reason.data, form.note.data, reporter, now
            )
            said = THANKS if outcome is services.Reported.TAKEN else ALREADY
            return after_post(
                post_url(post, f"comment-{comment.id}"),
                lambda: _comment_page("comments/thread.html", post, comment, message=said),
                said,
            )
    keep_or_stamp(form.loaded, now)
    status = 422 if form.errors else 200
    return _comment_page("comments/report.html", post, comment, status, mode="report", form=form)


@bp.get("/comments/house-rules")
def house_rules():
    """The short house rules the comment form links to."""
    return render_page("comments/house_rules.html")
