"""`make bench` runs: a tiny load through every part, with results that add up.

The figures themselves are not judged here (speed is the benchmark's business, not the
suite's); what is checked is that each part measured something real.
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.browser  # the page weight and LCP are measured in Chromium


@pytest.fixture(scope="module")
def tiny_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict, str]]:
    """One tiny run, on a SQLite file or, with --database=postgresql, the run's server."""
    output = tmp_path_factory.mktemp("bench") / "results.json"
    command = [sys.executable, "-m", "bench.run", "--tiny", "--output", str(output)]
    databases = None
    if request.config.getoption("--database") == "postgresql":
        databases = request.getfixturevalue("databases")
        database_url = databases.fresh()
        command += ["--database-url", database_url]
    try:
        finished = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=900)
        assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
        yield json.loads(output.read_text()), finished.stdout
    finally:
        if databases is not None:
            databases.drop(database_url)


def test_the_run_was_on_the_database_asked_for(tiny_run, request):
    results, _printed = tiny_run
    assert results["settings"]["database"] == request.config.getoption("--database")


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


def test_an_update_was_queued_to_every_subscriber_and_all_of_it_delivered(tiny_run):
    results, printed = tiny_run
    updates = results["updates"]
    made = updates["subscribers"]
    assert made == 200  # --tiny's number
    assert updates["rows_queued"] == made
    assert updates["mailing_recipients"] == made
    assert updates["queue_s"] > 0
    # Nothing failed or was left waiting, and the mail server got the update's emails alone.
    assert updates["all_sent"] is True
    assert updates["statuses"] == {"sent": made}
    assert updates["emails_delivered"] == made
    assert updates["other_emails_received"] == 0
    assert 0 <= updates["emails_delivered_during_load"] <= made
    assert 0 <= updates["emails_left_after_load"] <= made
    assert updates["delivery_per_s"] > 0
    assert f"Update to {made} subscribers" in printed


def test_the_survey_page_was_loaded_in_turns_while_the_update_was_sent_and_not(tiny_run):
    results, _printed = tiny_run
    updates = results["updates"]
    page = updates["survey_page"]
    windows = page["windows"]
    assert [w["worker"] for w in windows] == ["sending", "paused"] * 3
    loads = [page["before"], *windows, page["after"]]
    for figures in loads:
        assert figures["errors"] == 0
    # Two seconds of two connections on a machine busy with other tests may see no request
    # finish in one window, but not in all eight.
    assert sum(figures["requests"] for figures in loads) > 0
    # A paused worker uses no CPU and sends nothing (bar one email already on the wire).
    for paused in (w for w in windows if w["worker"] == "paused"):
        assert paused["emails_delivered"] <= 1
        assert paused["worker_cores"] == 0
    rates = updates["survey_page_per_s"]
    quiet = [page["before"], *windows[1::2]]
    assert rates["quiet"] == pytest.approx(sum(f["requests_per_s"] for f in quiet) / 4)
    sending = windows[0::2]
    assert rates["sending"] == pytest.approx(sum(f["requests_per_s"] for f in sending) / 3)
    assert updates["sending_to_not_sending"] == pytest.approx(rates["sending"] / rates["quiet"])
    assert updates["emails_delivered_during_load"] == sum(w["emails_delivered"] for w in sending)
    # SQLite's write-ahead log, read from its shared index after each load.
    on_sqlite = results["settings"]["database"] == "sqlite"
    for figures in [page["before"], *windows, page["after"]]:
        frames = figures["wal_frames_after"]
        assert (isinstance(frames, int) and frames >= 0) if on_sqlite else frames is None


def test_targets_are_reported_and_printed(tiny_run):
    results, printed = tiny_run
    assert len(results["targets"]) == 12
    for row in results["targets"]:
        assert isinstance(row["met"], bool)
        assert row["target"] in printed
