"""The audit log: every change made in the admin area, and by respondents to what they
sent, who made it and when.

The services write it (record_audit, in the same transaction as the change); this page
only reads it.
"""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from app.admin import bp
from app.extensions import db
from app.intake.changes import RESPONDENT
from app.models import AuditEvent

AUDIT_PAGE_SIZE = 50
# What the log shows for actions named in words (others show as recorded).
ACTION_NAMES = {
    "respondent_change": "Response changed",
    "respondent_withdraw": "Response withdrawn",
    "draft_update": "Update written",
    "change_update": "Update changed",
    "test_update": "Test sent",
    "send_update": "Update sent",
    "export_subscribers": "Addresses exported",
    "news_draft": "News post written",
    "news_change": "News post changed",
    "news_publish": "News post published",
    "news_unpublish": "News post unpublished",
    "comment_hide": "Comment removed",
    "comment_restore": "Comment shown again",
    "comment_dismiss_reports": "Reports of a comment dismissed",
    "reader_block": "Reader blocked",
    "reader_unblock": "Reader unblocked",
}
# Who, for actors that are not a signed-in user's email address.
ACTOR_NAMES = {RESPONDENT: "The respondent"}


@bp.get("/audit")
def audit_log():
    """Who changed what, newest first."""
    events = db.session.scalars(
        select(AuditEvent)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PAGE_SIZE)
    )
    return render_template(
        "admin/audit.html", events=list(events), actions=ACTION_NAMES, actors=ACTOR_NAMES
    )
