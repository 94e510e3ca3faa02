"""Loads repeated in rounds, interleaved, after a warm-up of each; medians and spreads.

The machine is shared and its speed drifts by the minute, so one load run once says
little. Every load runs once to warm up (not counted), then all of them in turn, round
after round, so that a drift touches each load alike. A load's figure is the median of its
rounds and its spread their range (min to max): with three rounds no finer measure of
spread means anything, and the range is the honest one. A ratio to the bare baseline is
taken against the baseline of the same round.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Load:
    """One load: `measure(seconds)` runs it and returns its figures; `warm(seconds)`, if
    given, is its warm-up (one that reaches every worker)."""

    name: str
    kind: str  # "page" (requests a second) or "journey" (whole journeys a second)
    seconds: float
    measure: Callable[[float], dict]
    warm: Callable[[float], dict] | None = None


def rate(figures: dict) -> float:
    """Requests, or whole journeys, a second."""
    return figures["requests_per_s"] if "requests_per_s" in figures else figures["journeys_per_s"]


def p99(figures: dict) -> float:
    """The p99 in ms of a page's requests, or of a journey's send."""
    return (figures.get("send_latency_ms") or figures["latency_ms"])["p99"]


def spread(values: list[float | None]) -> dict:
    """Each round's value, their median, min and max (over the rounds that have one)."""
    present = [value for value in values if value is not None]
    if not present:
        return {"rounds": values, "median": None, "min": None, "max": None}
    return {
        "rounds": values,
        "median": statistics.median(present),
        "min": min(present),
        "max": max(present),
    }


def compare(first: list[float], second: list[float], pairs: list[tuple[float, float]]) -> dict:
    """The first load against the second: the ratio of their medians, and a difference
    claimed only when their ranges do not overlap. `pairs` are runs of the two next to
    each other in time, whose ratios are given too (their range shows the spread)."""
    a, b = spread(first), spread(second)
    ratio = a["median"] / b["median"] if b["median"] else None
    overlap = max(a["min"], b["min"]) <= min(a["max"], b["max"])
    if ratio is None:
        verdict = "no comparison: the second measured nothing"
    elif overlap:
        verdict = "no difference beyond the spread"
    elif ratio < 1:
        verdict = f"slower by {1 - ratio:.0%}"
    else:
        verdict = f"faster by {ratio - 1:.0%}"
    return {
        "ratio_of_medians": ratio,
        "ranges_overlap": overlap,
        "verdict": verdict,
        "first": a,
        "second": b,
        "paired_ratios": spread([x / y if y else None for x, y in pairs]),
    }


def _timed(measure: Callable[[float], dict], seconds: float, clock_zero: float) -> dict:
    started = time.monotonic()
    figures = measure(seconds)
    figures["started_s"] = started - clock_zero
    figures["per_s"] = rate(figures)
    return figures


def _summary(load: Load, warmup: dict, rounds: list[dict], baselines: list[float]) -> dict:
    for figures, baseline in zip(rounds, baselines, strict=True):
        figures["ratio_to_baseline"] = figures["per_s"] / baseline if baseline else None
    return {
        "kind": load.kind,
        "seconds": load.seconds,
        "warmup": warmup,
        "rounds": rounds,
        "per_s": spread([figures["per_s"] for figures in rounds]),
        "ratio_to_baseline": spread([figures["ratio_to_baseline"] for figures in rounds]),
        "p99_ms": spread([p99(figures) for figures in rounds]),
        "errors": sum(figures["errors"] for figures in rounds),
    }


def run(
    loads: list[Load],
    rounds: int,
    warmup_seconds: float,
    clock_zero: float,
    settle: Callable[[], object],
) -> dict:
    """Warm up each load, then run them all in turn `rounds` times; the first load is the
    baseline the others' ratios are taken to. `settle()` runs before each load: it waits
    for the requests the last one left under way, which would otherwise count against
    the next (50 uploads of a megabyte are a second's work)."""
    warmups = {}
    for load in loads:
        settle()
        warm = load.warm or load.measure
        warmups[load.name] = _timed(warm, min(warmup_seconds, load.seconds), clock_zero)
    print(f"  warmed up {len(loads)} loads", flush=True)
    measured: dict[str, list[dict]] = {load.name: [] for load in loads}
    for number in range(1, rounds + 1):
        for load in loads:
            settle()
            figures = _timed(load.measure, load.seconds, clock_zero)
            figures["round"] = number
            measured[load.name].append(figures)
        print(
            f"  round {number}: "
            + ", ".join(f"{name} {figures[-1]['per_s']:.1f}" for name, figures in measured.items()),
            flush=True,
        )
    baselines = [figures["per_s"] for figures in measured[loads[0].name]]
    return {
        load.name: _summary(load, warmups[load.name], measured[load.name], baselines)
        for load in loads
    }
