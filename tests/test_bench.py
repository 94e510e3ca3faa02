"""`make bench` runs: a tiny load through every part, with results that add up.

The figures themselves are not judged here (speed is the benchmark's business, not the
suite's); what is checked is that each part measured something real.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.browser  # the page weight and LCP are measured in Chromium


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    output = tmp_path_factory.mktemp("bench") / "results.json"
    finished = subprocess.run(
        [sys.executable, "-m", "bench.run", "--tiny", "--output", str(output)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return json.loads(output.read_text()), finished.stdout


def test_every_load_was_served_without_errors(tiny_run):
    results, _printed = tiny_run
    throughput = results["throughput"]
    assert set(throughput) == {
        "baseline",
        "consultation_list",
        "consultation_page",
        "survey_page",
        "survey_submission",
        "evidence_submission",
    }
    for name in ("baseline", "consultation_list", "consultation_page", "survey_page"):
        assert throughput[name]["requests"] > 0, name
        assert throughput[name]["errors"] == 0, name
    for name in ("survey_submission", "evidence_submission"):
        assert throughput[name]["journeys"] > 0, name
        assert throughput[name]["failures"] == {}, name


def test_ratios_are_to_the_baseline_of_the_same_run(tiny_run):
    results, _printed = tiny_run
    throughput = results["throughput"]
    baseline = throughput["baseline"]["requests_per_s"]
    assert throughput["baseline"]["ratio_to_baseline"]["throughput"] == 1
    page = throughput["survey_page"]
    assert page["ratio_to_baseline"]["throughput"] == pytest.approx(
        page["requests_per_s"] / baseline
    )
    assert page["ratio_to_baseline"]["p99"] == pytest.approx(
        page["latency_ms"]["p99"] / throughput["baseline"]["latency_ms"]["p99"]
    )


def test_every_counted_journey_stored_a_response(tiny_run):
    results, _printed = tiny_run
    journeys = sum(figures["journeys"] for figures in results["smtp"].values())
    journeys += results["throughput"]["evidence_submission"]["journeys"]
    generated = results["settings"]["generated_responses"]
    assert results["admin"]["responses"] >= generated + journeys
    # The export holds every response, parsed back row by row.
    assert results["admin"]["export_rows"] == results["admin"]["responses"]


def test_submissions_ran_with_each_kind_of_mail_server(tiny_run):
    results, _printed = tiny_run
    assert set(results["smtp"]) == {"normal", "slow", "dead"}
    for mode, figures in results["smtp"].items():
        assert figures["journeys"] > 0, mode
        assert 0 < figures["send_latency_ms"]["p50"] <= figures["send_latency_ms"]["p99"], mode


def test_page_weight_counts_html_css_and_js(tiny_run):
    results, _printed = tiny_run
    weights = results["browser"]["page_weight_bytes"]
    assert set(weights) >= {"consultation_list", "consultation_page", "survey_page"}
    for name, weight in weights.items():
        # The stylesheet travels inside the HTML, so no CSS is fetched on its own.
        assert weight["html"] > 0 and weight["js"] > 0 and weight["css"] == 0, name
        assert weight["total"] == sum(weight[k] for k in ("html", "css", "js", "other")), name
    assert results["browser"]["lcp_ms"]["median"] > 0


def test_targets_are_reported_and_printed(tiny_run):
    results, printed = tiny_run
    assert len(results["targets"]) == 10
    for row in results["targets"]:
        assert isinstance(row["met"], bool)
        assert row["target"] in printed
