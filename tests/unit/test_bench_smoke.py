"""The benchmark's pure helpers (the benchmark itself runs with ``make bench``)."""

from __future__ import annotations

import math

import pytest

import bench.__main__ as bench_main
from bench import floor, load, platforms, procs, ratelimit, relay, report, scale
from bench.stats import (fmt, growth_per, latency_summary, median_run, percentile, ratio, table,
                         verdict)


@pytest.mark.parametrize(("values", "pct", "expected"), [
    ([1.0], 99, 1.0),
    ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
    ([4.0, 1.0, 3.0, 2.0], 0, 1.0),
    ([4.0, 1.0, 3.0, 2.0], 100, 4.0),
    (list(map(float, range(1, 101))), 99, 99.01),
])
def test_percentile_interpolates_between_ranks(values: list[float], pct: float,
                                               expected: float) -> None:
    assert percentile(values, pct) == pytest.approx(expected)


def test_percentile_of_nothing_is_nan_and_bounds_are_checked() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_latency_summary_is_in_milliseconds() -> None:
    summary = latency_summary([0.001, 0.002, 0.003])
    assert summary["n"] == 3
    assert summary["p50_ms"] == pytest.approx(2.0)
    assert summary["max_ms"] == pytest.approx(3.0)


@pytest.mark.parametrize(("value", "floor_value", "expected"), [
    (50.0, 100.0, 0.5), (1.0, 0.0, math.nan), (math.nan, 1.0, math.nan)])
def test_ratio(value: float, floor_value: float, expected: float) -> None:
    got = ratio(value, floor_value)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


@pytest.mark.parametrize(("value", "text"), [
    (None, "-"), (math.nan, "-"), (True, "yes"), (12345, "12,345"), (3.14159, "3.1"),
    ("x", "x")])
def test_fmt(value: object, text: str) -> None:
    assert fmt(value) == text


def test_table_aligns_columns_as_markdown() -> None:
    lines = table(["name", "msg/s"], [["floor", 474.0], ["sqlite", 131.25]]).splitlines()
    assert lines[0] == "| name   | msg/s |"
    assert lines[1] == "|--------|------:|"
    assert lines[2] == "| floor  | 474.0 |"
    assert lines[3] == "| sqlite | 131.2 |"


def test_median_run_keeps_the_middle_run_whole_and_lists_all() -> None:
    runs = [{"msg_per_s": 500.0, "missing": 0}, {"msg_per_s": 310.0, "missing": 2},
            {"msg_per_s": 420.0, "missing": 1}]
    assert median_run(runs) == {"msg_per_s": 420.0, "missing": 1,
                                      "runs_msg_per_s": [500.0, 310.0, 420.0]}
    assert median_run(runs[:1])["msg_per_s"] == 500.0
    with pytest.raises(ValueError):
        median_run([])


def test_verdict_and_growth() -> None:
    assert verdict(0.6, 0.5, higher_is_better=True) == "met"
    assert verdict(60.0, 50.0, higher_is_better=False) == "missed"
    assert verdict(math.nan, 1.0, higher_is_better=True) == "n/a"
    assert growth_per({0: 100.0, 5000: 150.0, 10_000: 200.0}, 10_000) == pytest.approx(100.0)
    assert math.isnan(growth_per({0: 1.0}, 10_000))


def test_report_triple_marks_saturated_runs() -> None:
    run = {"p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0, "saturated": True}
    assert report.triple(run) == "1.0 / 2.0 / 3.0 *"


def test_tokens_round_trip_through_the_fakes_patterns() -> None:
    assert platforms.IN_TOKEN.findall(f"hello {platforms.in_token(42)}") == ["0000042"]
    assert platforms.OUT_TOKEN.findall(platforms.out_token(7)) == ["0000007"]


def test_modules_import_and_plans_are_consistent() -> None:
    assert {floor, load, procs, ratelimit, relay, scale}
    quick, full = bench_main.PLANS["quick"], bench_main.PLANS["full"]
    assert quick.conversations < full.conversations
    assert full.conversations == 100_000
    assert scale.thread_ts(1) != scale.thread_ts(2)
