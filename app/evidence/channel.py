"""Written evidence as a channel: how it is named, counted and described."""

from __future__ import annotations

from typing import Any

from app.evidence import files
from app.intake.channel import Channel, Rows
from app.models import Response
from app.web.forms import PUBLISH_CHOICES


class EvidenceChannel(Channel):
    name = "evidence"
    label = "Written evidence"
    reference_prefix = "EV"
    endpoint = "evidence.submit"
    change_endpoint = "evidence.change"
    title = "Send written evidence"
    description = (
        "Tell us what you know in your own words, and attach documents"
        " such as reports or case studies."
    )

    def detail_rows(self, response: Response) -> Rows:
        """The evidence as the emails and the admin area list it."""
        rows = [
            ("Name", response.name),
            ("Email address", response.email),
            ("Which best describes you?", response.respondent_type),
        ]
        if response.organisation:
            rows.append(("Organisation", response.organisation))
        return rows + [
            ("Themes", "; ".join(response.topics)),
            ("Evidence", response.evidence_text),
            ("May we publish your response?", PUBLISH_CHOICES.get(response.publish, "")),
        ]

    def submission_extras(self, response: Response) -> dict[str, Any]:
        return {
            "respondent_type": response.respondent_type,
            "attachment_names": [
                files.safe_name(a.original_name, a.file_type) for a in response.attachments
            ],
        }


EVIDENCE = EvidenceChannel()
