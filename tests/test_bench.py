"""`make bench` runs: a tiny load through every part, with results that add up.

The figures themselves are not judged here (speed is the benchmark's business, not the
suite's); what is checked is that each part measured something real.
"""

import json
import statistics
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


LOADS = [
    "baseline",
    "consultation_list",
    "consultation_page",
    "survey_page",
    "consultation_list_with_session",
    "consultation_page_with_session",
    "survey_journeys_mail_normal",
    "survey_journeys_mail_dead",
    "survey_journeys_mail_slow",
    "evidence_journeys",
]
JOURNEYS = [name for name in LOADS if "journeys" in name]


def test_each_load_was_warmed_up_then_run_in_interleaved_rounds(tiny_run):
    results, _printed = tiny_run
    loads = results["loads"]
    assert list(loads) == LOADS
    rounds = results["settings"]["rounds"]
    assert rounds == 3  # --tiny's number
    # In the order they ran: every warm-up, then round after round of every load.
    ran = [(loads[name]["warmup"]["started_s"], "warm-up", name) for name in LOADS]
    for name in LOADS:
        assert [figures["round"] for figures in loads[name]["rounds"]] == [1, 2, 3]
        ran += [(figures["started_s"], figures["round"], name) for figures in loads[name]["rounds"]]
    expected = [("warm-up", name) for name in LOADS]
    expected += [(number, name) for number in range(1, rounds + 1) for name in LOADS]
    assert [(when, name) for _started, when, name in sorted(ran)] == expected


def test_the_rounds_together_measured_every_kind_of_load_without_errors(tiny_run):
    results, _printed = tiny_run
    loads = results["loads"]
    for name in LOADS:
        for figures in loads[name]["rounds"]:
            assert figures["errors"] == 0, name
            assert figures.get("failures", {}) == {}, name
        assert loads[name]["errors"] == 0, name
    # A second of two connections on a machine busy with other tests may see no request
    # finish, and two seconds no journey; the rounds together must have seen some.
    pages = [name for name in LOADS if name not in JOURNEYS]
    assert sum(f["requests"] for name in pages for f in loads[name]["rounds"]) > 0
    assert sum(f["journeys"] for name in JOURNEYS for f in loads[name]["rounds"]) > 0


def test_each_ratio_is_to_the_baseline_of_its_own_round(tiny_run):
    results, _printed = tiny_run
    loads = results["loads"]
    baselines = [figures["requests_per_s"] for figures in loads["baseline"]["rounds"]]
    for name in LOADS:
        load = loads[name]
        rates = [
            f["requests_per_s" if name not in JOURNEYS else "journeys_per_s"]
            for f in load["rounds"]
        ]
        assert load["per_s"]["rounds"] == rates, name
        ratios = [
            rate / base if base else None for rate, base in zip(rates, baselines, strict=True)
        ]
        assert load["ratio_to_baseline"]["rounds"] == pytest.approx(ratios), name
        present = [ratio for ratio in ratios if ratio is not None]
        if present:
            assert load["ratio_to_baseline"]["median"] == pytest.approx(statistics.median(present))
            assert load["ratio_to_baseline"]["min"] == pytest.approx(min(present))
            assert load["ratio_to_baseline"]["max"] == pytest.approx(max(present))
        assert load["per_s"]["median"] == pytest.approx(statistics.median(rates)), name
        assert (load["per_s"]["min"], load["per_s"]["max"]) == (min(rates), max(rates)), name


def _check_comparison(compared: dict, first: list[float], second: list[float]) -> None:
    assert compared["first"]["rounds"] == first
    assert compared["second"]["rounds"] == second
    ratio = (
        statistics.median(first) / statistics.median(second) if statistics.median(second) else None
    )
    assert compared["ratio_of_medians"] == pytest.approx(ratio)
    overlap = max(min(first), min(second)) <= min(max(first), max(second))
    assert compared["ranges_overlap"] is overlap
    if ratio is None:
        assert compared["verdict"] == "no comparison: the second measured nothing"
    elif overlap:
        assert compared["verdict"] == "no difference beyond the spread"
    else:
        assert compared["verdict"].startswith("slower by" if ratio < 1 else "faster by")


def test_mail_servers_are_compared_on_medians_with_a_difference_only_beyond_the_spread(tiny_run):
    results, printed = tiny_run
    loads, comparisons = results["loads"], results["comparisons"]
    assert set(comparisons) == {"mail_normal_to_dead", "mail_slow_to_dead"}
    dead = loads["survey_journeys_mail_dead"]["per_s"]["rounds"]
    for mode in ("normal", "slow"):
        compared = comparisons[f"mail_{mode}_to_dead"]
        working = loads[f"survey_journeys_mail_{mode}"]["per_s"]["rounds"]
        _check_comparison(compared, working, dead)
        assert f"{mode} / dead: " in printed
        assert compared["verdict"] in printed


def test_every_counted_journey_stored_a_response(tiny_run):
    results, _printed = tiny_run
    loads = results["loads"]
    journeys = sum(f["journeys"] for name in JOURNEYS for f in loads[name]["rounds"])
    journeys += results["surge"]["stored"]
    generated = results["settings"]["generated_responses"]
    assert results["admin"]["responses"] >= generated + journeys
    # The export holds every response, parsed back row by row.
    assert results["admin"]["export_rows"] == results["admin"]["responses"]


def test_submissions_ran_with_each_kind_of_mail_server(tiny_run):
    results, _printed = tiny_run
    for mode in ("normal", "slow", "dead"):
        load = results["loads"][f"survey_journeys_mail_{mode}"]
        for figures in [load["warmup"], *load["rounds"]]:
            assert figures["emails_delivered"] >= 0
            if figures["journeys"]:
                send = figures["send_latency_ms"]
                assert 0 < send["p50"] <= send["p99"], mode
    # A server that never answers receives nothing.
    dead = results["loads"]["survey_journeys_mail_dead"]
    assert [f["emails_delivered"] for f in [dead["warmup"], *dead["rounds"]]] == [0] * 4


def test_the_open_loop_surge_stored_every_response_and_delivered_each_email_once(tiny_run):
    results, printed = tiny_run
    surge = results["surge"]
    assert (surge["arrivals_per_s_asked"], surge["seconds"]) == (4, 5)  # --tiny's numbers
    assert surge["journeys_due"] == surge["journeys_started"] == 20
    assert surge["failures"] == {} and surge["errors"] == 0
    assert surge["journeys_completed"] == surge["sends_answered"] == 20
    assert 0 <= surge["late_starts"] <= surge["journeys_started"]
    assert 0 < surge["send_latency_ms"]["p50"] <= surge["send_latency_ms"]["p99"]
    # Counted in the database: one stored response for each journey completed.
    assert surge["stored"] == surge["journeys_completed"]
    # Every email the surge queued was sent, and received by the mail server once: the
    # receipt and the officer's alert of each response, compared by Message-ID.
    emails = surge["emails"]
    assert surge["emails_drained"] is True
    assert emails["kinds"]["receipt"] == emails["kinds"]["alert"] == surge["stored"]
    assert emails["statuses"] == {"sent": emails["outbox_rows"]}
    assert emails["owed"] == emails["sent"] == emails["received"] == emails["outbox_rows"]
    for problem in (
        "not_sent",
        "sent_not_received",
        "received_more_than_once",
        "received_not_sent",
        "responses_missing_an_email",
    ):
        assert emails[problem] == 0, problem
    assert surge["emails_once"] is True
    assert "Open-loop surge" in printed


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
    # A second of two connections on a machine busy with other tests may see no request
    # finish in one window, but not in all eight.
    assert sum(figures["requests"] for figures in loads) > 0
    # A paused worker uses no CPU and sends nothing (bar one email already on the wire).
    for paused in (w for w in windows if w["worker"] == "paused"):
        assert paused["emails_delivered"] <= 1
        assert paused["worker_cores"] == 0
    # Not sending: the load before the worker starts and the three while it is paused.
    rates = updates["survey_page_per_s"]
    quiet = [f["requests_per_s"] for f in [page["before"], *windows[1::2]]]
    sending = [f["requests_per_s"] for f in windows[0::2]]
    assert rates["quiet"] == pytest.approx(statistics.median(quiet))
    assert rates["sending"] == pytest.approx(statistics.median(sending))
    compared = updates["sending_to_not_sending"]
    _check_comparison(compared, sending, quiet)
    # Each load while sending beside the paused one just after it.
    paused = [f["requests_per_s"] for f in windows[1::2]]
    pairs = [s / p if p else None for s, p in zip(sending, paused, strict=True)]
    assert compared["paired_ratios"]["rounds"] == pytest.approx(pairs)
    assert updates["emails_delivered_during_load"] == sum(
        w["emails_delivered"] for w in windows[0::2]
    )
    # SQLite's write-ahead log, read from its shared index after each load.
    on_sqlite = results["settings"]["database"] == "sqlite"
    for figures in [page["before"], *windows, page["after"]]:
        frames = figures["wal_frames_after"]
        assert (isinstance(frames, int) and frames >= 0) if on_sqlite else frames is None


def test_targets_are_judged_on_the_medians_and_printed_with_their_spread(tiny_run):
    results, printed = tiny_run
    targets = {row["key"]: row for row in results["targets"]}
    assert len(targets) == len(results["targets"]) == 17
    loads = results["loads"]
    for page in ("survey_page", "consultation_list", "consultation_page"):
        ratio = loads[page]["ratio_to_baseline"]
        assert targets[f"{page}_ratio"]["measured"] == ratio["median"]
        assert targets[f"{page}_ratio"]["spread"] == [ratio["min"], ratio["max"]]
    assert (
        targets["survey_journeys_per_s"]["measured"]
        == (loads["survey_journeys_mail_normal"]["per_s"]["median"])
    )
    to_dead = results["comparisons"]["mail_normal_to_dead"]
    assert targets["mail_normal_to_dead"]["measured"] == to_dead["ratio_of_medians"]
    surge = results["surge"]
    assert targets["surge_late"]["measured"] == surge["late_starts"]
    assert targets["surge_send_p99"]["measured"] == surge["send_latency_ms"]["p99"]
    # What the suite can judge exactly: the surge lost nothing and sent every email once.
    for key in ("surge_not_completed", "surge_not_stored", "surge_emails_not_once"):
        assert targets[key]["measured"] == 0 and targets[key]["met"] is True, key
    for row in targets.values():
        assert isinstance(row["met"], bool)
        assert row["target"] in printed
    assert "min to max" in printed
    parts = {"prepare", "rounds", "surge", "browser", "admin", "updates", "total"}
    assert set(results["run_seconds"]) == parts
