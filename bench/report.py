"""The targets from issue 23, what a run measured against them, and the printed tables."""

from __future__ import annotations

# (what is measured, its key, how it compares, the target)
TARGETS = [
    ("survey page, x the bare baseline", "survey_page_ratio", ">=", 0.15),
    ("consultation list, x the bare baseline", "consultation_list_ratio", ">=", 0.3),
    ("consultation page, x the bare baseline", "consultation_page_ratio", ">=", 0.3),
    ("survey journeys a second, mail server normal", "survey_journeys_per_s", ">=", 50),
    ("survey journeys, mail server normal / dead", "mail_normal_to_dead", ">=", 0.9),
    ("surge: journeys due and not completed", "surge_not_completed", "=", 0),
    ("surge: journeys started late", "surge_late", "=", 0),
    ("surge: responses stored less journeys completed", "surge_not_stored", "=", 0),
    ("surge: emails not delivered exactly once", "surge_emails_not_once", "=", 0),
    ("surge: p99 of the send (ms)", "surge_send_p99", "<", 150),
    ("first visit to the survey page, compressed (KB)", "survey_page_kb", "<", 25),
    ("LCP of the survey page, slow phone (ms)", "lcp_ms", "<", 1000),
    ("admin responses list (ms)", "admin_list_ms", "<", 150),
    ("CSV export of every response (s)", "export_s", "<", 10),
    ("CSV export, worker memory growth (MB)", "export_mb", "<", 100),
    # The bench's reading of issue 21: "in seconds, not minutes", and "pages stay as fast".
    ("queue an update to every subscriber (s)", "update_queue_s", "<", 10),
    ("survey page while the worker sends / not sending", "update_during_ratio", ">=", 0.8),
]
EMAIL_PROBLEMS = (
    "not_sent",
    "sent_not_received",
    "received_more_than_once",
    "received_not_sent",
    "responses_missing_an_email",
)


def _range(spread: dict | None) -> tuple[float, float] | None:
    if spread is None or spread["min"] is None:
        return None
    return spread["min"], spread["max"]


def _measured(results: dict) -> dict[str, tuple[float | None, tuple[float, float] | None]]:
    """Each target's key: (the figure judged, its spread as (min, max) or None)."""
    loads, surge = results["loads"], results["surge"]
    normal = loads["survey_journeys_mail_normal"]["per_s"]
    to_dead = results["comparisons"]["mail_normal_to_dead"]
    updates = results["updates"]["sending_to_not_sending"]
    lcp = results["browser"]["lcp_ms"]["runs"]
    admin = results["admin"]
    emails = surge["emails"]

    def ratio(name: str):
        spread = loads[name]["ratio_to_baseline"]
        return spread["median"], _range(spread)

    return {
        "survey_page_ratio": ratio("survey_page"),
        "consultation_list_ratio": ratio("consultation_list"),
        "consultation_page_ratio": ratio("consultation_page"),
        "survey_journeys_per_s": (normal["median"], _range(normal)),
        "mail_normal_to_dead": (to_dead["ratio_of_medians"], _range(to_dead["paired_ratios"])),
        "surge_not_completed": (surge["journeys_due"] - surge["journeys_completed"], None),
        "surge_late": (surge["late_starts"], None),
        "surge_not_stored": (surge["stored"] - surge["journeys_completed"], None),
        "surge_emails_not_once": (sum(emails[key] for key in EMAIL_PROBLEMS), None),
        "surge_send_p99": (surge["send_latency_ms"]["p99"], None),
        "survey_page_kb": (
            results["browser"]["page_weight_bytes"]["survey_page"]["total"] / 1000,
            None,
        ),
        "lcp_ms": (results["browser"]["lcp_ms"]["median"], (min(lcp), max(lcp))),
        "admin_list_ms": (
            admin["list_ms"],
            (min(admin["list_runs_ms"]), max(admin["list_runs_ms"])),
        ),
        "export_s": (admin["export_s"], None),
        "export_mb": (admin["export_worker_growth_mb"], None),
        "update_queue_s": (results["updates"]["queue_s"], None),
        "update_during_ratio": (updates["ratio_of_medians"], _range(updates["paired_ratios"])),
    }


def _met(value: float | None, comparison: str, goal: float) -> bool:
    if value is None or value != value:  # nothing measured, or NaN
        return False
    if comparison == ">=":
        return value >= goal
    if comparison == "<":
        return value < goal
    return value == goal


def targets(results: dict) -> list[dict]:
    """Each target with what this run measured (the median where loads were repeated, and
    the range of the rounds), and whether it was met."""
    measured = _measured(results)
    rows = []
    for label, key, comparison, goal in TARGETS:
        value, spread = measured[key]
        rows.append(
            {
                "target": label,
                "key": key,
                "goal": f"{comparison} {goal}",
                "measured": value,
                "spread": list(spread) if spread else None,
                "met": _met(value, comparison, goal),
            }
        )
    return rows


def _number(value: float | None, digits: int | None = None) -> str:
    """A figure as the tables print it: '–' for nothing measured."""
    if value is None or value != value:
        return "–"
    if digits is None:
        digits = 0 if abs(value) >= 100 else 1
    return f"{value:,.{digits}f}"


def _spread(spread: dict | list | tuple | None, digits: int | None = None) -> str:
    if isinstance(spread, dict):
        spread = _range(spread)
    if not spread:
        return "–"
    return f"{_number(spread[0], digits)} to {_number(spread[1], digits)}"


def _row(cells: list, widths: list[int]) -> str:
    return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True))


def _loads(loads: dict) -> list[str]:
    widths = [28, 24, 8, 17, 8, 15, 8]
    lines = [
        _row(
            ["load (a second)", "each round", "median", "min to max", "x base", "min to max"]
            + ["p99 ms"],
            widths,
        )
    ]
    for name, load in loads.items():
        per_s, ratio = load["per_s"], load["ratio_to_baseline"]
        lines.append(
            _row(
                [
                    name,
                    ", ".join(_number(value) for value in per_s["rounds"]),
                    _number(per_s["median"]),
                    _spread(per_s),
                    _number(ratio["median"], 3),
                    _spread(ratio, 3),
                    _number(load["p99_ms"]["median"]),
                ],
                widths,
            )
        )
    lines.append("(p99 ms: the median of the rounds' p99, of each request or of a journey's send)")
    return lines


def _comparison(label: str, compared: dict, unit: str) -> str:
    first, second = compared["first"], compared["second"]
    return (
        f"{label}: {_number(compared['ratio_of_medians'], 2)} x (medians "
        f"{_number(first['median'])} and {_number(second['median'])} {unit}; ranges "
        f"{_spread(first)} and {_spread(second)}): {compared['verdict']}"
    )


def _mail(results: dict) -> list[str]:
    lines = ["", "Survey journeys while the outbox worker delivers to a mail server:"]
    for mode in ("normal", "slow", "dead"):
        load = results["loads"][f"survey_journeys_mail_{mode}"]
        emails = ", ".join(str(figures["emails_delivered"]) for figures in load["rounds"])
        lines.append(
            f"  {mode}: {_number(load['per_s']['median'])} a second ({_spread(load['per_s'])}), "
            f"p99 of the send {_number(load['p99_ms']['median'])} ms, emails delivered "
            f"in each round {emails}"
        )
    for key, compared in results["comparisons"].items():
        mode = key.removeprefix("mail_").removesuffix("_to_dead")
        lines.append("  " + _comparison(f"{mode} / dead", compared, "a second"))
    return lines


def _surge(surge: dict) -> list[str]:
    emails = surge["emails"]
    failures = ", ".join(f"{why}: {count}" for why, count in surge["failures"].items())
    send, whole = surge["send_latency_ms"], surge["journey_latency_ms"]
    return [
        "",
        f"Open-loop surge (bench/arrivals.py): {surge['arrivals_per_s_asked']:g} survey "
        f"journeys a second asked, {surge['arrivals_per_s_achieved']:.2f} achieved, for "
        f"{surge['seconds']:g} s",
        f"  journeys: {surge['journeys_due']} due, {surge['journeys_started']} started, "
        f"{surge['journeys_completed']} completed; {surge['late_starts']} started more than "
        f"{surge['late_after_ms']:.0f} ms late (latest "
        f"{_number(surge['start_lateness_ms']['max'])} ms); failures: {failures or 'none'}",
        f"  the send: p50 {_number(send['p50'])}, p95 {_number(send['p95'])}, p99 "
        f"{_number(send['p99'])} ms; whole journeys from their due time: p50 "
        f"{_number(whole['p50'])}, p95 {_number(whole['p95'])}, p99 {_number(whole['p99'])} "
        f"ms; journeys under way at once: at most {surge['most_journeys_at_once']}",
        f"  responses stored: {surge['stored']} (journeys completed: "
        f"{surge['journeys_completed']})",
        f"  emails: {emails['outbox_rows']} queued, {emails['sent']} sent, {emails['received']} "
        f"received ({surge['emails_delivered_during_surge']} during the surge, the rest in "
        f"{surge['drain_s']:.0f} s after it); sent and not received "
        f"{emails['sent_not_received']}, received twice {emails['received_more_than_once']}, "
        f"received and not sent {emails['received_not_sent']}, not sent {emails['not_sent']}, "
        f"responses missing an email {emails['responses_missing_an_email']}",
        f"  the load generator used {surge['load_generator_cores']:.2f} of a core",
    ]


def _updates(updates: dict) -> list[str]:
    """The update to every subscriber: queueing, and the survey page while it is sent."""
    page = updates["survey_page"]
    loads = [
        ("before", page["before"]),
        *((w["worker"], w) for w in page["windows"]),
        ("after", page["after"]),
    ]
    return [
        "",
        f"Update to {updates['subscribers']:,} subscribers: queued in {updates['queue_s']:.2f} s, "
        f"{updates['rows_queued']:,} outbox rows",
        "  survey page, each load in turn (a second): "
        + ", ".join(f"{when} {figures['requests_per_s']:.0f}" for when, figures in loads),
        "  "
        + _comparison(
            "sending / not sending", updates["sending_to_not_sending"], "requests a second"
        ),
        f"  delivered {updates['emails_delivered']:,} of {updates['rows_queued']:,} in "
        f"{updates['sending_s']:.0f} s: {updates['delivery_per_s']:.0f} emails a second, "
        f"{updates['delivery_per_s_during_load']:.0f} while the page was loaded",
    ]


def _targets(rows: list[dict]) -> list[str]:
    widths = [50, 8, 9, 19, 4]
    lines = [_row(["target", "goal", "measured", "min to max", "met"], widths)]
    for row in rows:
        digits = 0 if row["goal"].startswith("=") else 2
        lines.append(
            _row(
                [
                    row["target"],
                    row["goal"],
                    _number(row["measured"], digits),
                    _spread(row["spread"], 2),
                    "yes" if row["met"] else "no",
                ],
                widths,
            )
        )
    lines.append("(measured: the median of the rounds, or of the runs, where there are several)")
    return lines


def table(results: dict) -> str:
    """The results as plain text."""
    lines = _loads(results["loads"])
    lines.extend(_mail(results))
    lines.extend(_surge(results["surge"]))
    lines.append("")
    widths = [16, 8, 8, 8, 8, 8]
    lines.append(_row(["first visit", "html", "css", "js", "other", "total B"], widths))
    for name, weight in results["browser"]["page_weight_bytes"].items():
        lines.append(
            _row([name, *(weight[k] for k in ("html", "css", "js", "other", "total"))], widths)
        )
    lines.append("")
    lines.append(f"LCP, survey page: {results['browser']['lcp_ms']['median']:.0f} ms (median)")
    admin = results["admin"]
    lines.append(
        f"Admin, {admin['responses']} responses: list {admin['list_ms']:.0f} ms; CSV export "
        f"{admin['export_s']:.1f} s, {admin['export_rows']} rows, worker memory "
        f"+{admin['export_worker_growth_mb']:.0f} MB"
    )
    lines.extend(_updates(results["updates"]))
    lines.append("")
    lines.extend(_targets(results["targets"]))
    lines.append("")
    lines.append(
        "Run: "
        + ", ".join(f"{part} {seconds:.0f} s" for part, seconds in results["run_seconds"].items())
        + "; load average at start and end: "
        + ", ".join(
            " ".join(f"{value:.1f}" for value in results["machine"][key])
            for key in ("load_average_at_start", "load_average_at_end")
        )
    )
    return "\n".join(lines)
