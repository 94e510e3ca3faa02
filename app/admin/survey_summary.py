"""The survey summary page: each choice question of the survey counted and charted."""

from __future__ import annotations

from flask import render_template

from app.admin import bp, charts
from app.consultations.lookup import get_for_staff_or_404
from app.intake.submissions import count_sent
from app.survey import results


@bp.get("/consultations/<slug>/summary")
def results_page(slug: str):
    """A bar chart and a table for each choice question of the survey."""
    consultation = get_for_staff_or_404(slug)
    tallies = results.tallies(consultation)
    return render_template(
        "admin/summary.html",
        consultation=consultation,
        charted=[(tally, charts.bars(tally.counts, tally.answered)) for tally in tallies],
        total=count_sent(consultation, "survey"),
    )
