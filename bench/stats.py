"""Pure helpers of the benchmark: percentiles, summaries, ratios and the printed table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (0-100) by linear interpolation between closest ranks,
    as numpy's default; ``nan`` for no values."""
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile {pct} is outside 0-100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds, and how many samples they come from."""
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "max_ms": max(ms) if ms else math.nan}


def median_run(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The run with the median ``msg_per_s`` (the upper one of an even count), and every
    run's figure beside it, in the order they ran."""
    if not runs:
        raise ValueError("no runs")
    ordered = sorted(runs, key=lambda run: run["msg_per_s"])
    return {**ordered[len(ordered) // 2], "runs_msg_per_s": [run["msg_per_s"] for run in runs]}


def ratio(value: float, floor: float) -> float:
    """``value / floor``; ``nan`` when either is missing or the floor is zero."""
    if not floor or math.isnan(floor) or math.isnan(value):
        return math.nan
    return value / floor


def fmt(value: Any, digits: int = 1) -> str:
    """A table cell: numbers rounded, ``nan``/``None`` as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; the first column is left-aligned, the others right-aligned."""
    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        padded = [v.ljust(w) if i == 0 else v.rjust(w)
                  for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = "|".join(["-" * (widths[0] + 2), *("-" * (w + 1) + ":" for w in widths[1:])])
    return "\n".join([line(headers), f"|{rule}|", *(line(r) for r in cells)])


def verdict(measured: float, target: float, *, higher_is_better: bool) -> str:
    """``met`` / ``missed`` against a target; ``n/a`` when nothing was measured."""
    if math.isnan(measured):
        return "n/a"
    ok = measured >= target if higher_is_better else measured <= target
    return "met" if ok else "missed"


def growth_per(samples: Mapping[int, float], per: int) -> float:
    """Least-squares slope of ``samples`` (x: messages, y: KiB) scaled to ``per`` messages."""
    if len(samples) < 2:
        return math.nan
    xs, ys = list(samples), list(samples.values())
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return math.nan
    return per * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var
