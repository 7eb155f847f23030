"""The benchmark's pure helpers (the benchmark itself runs with ``make bench``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import bench.__main__ as bench_main
from bench import floor, load, platforms, procs, ratelimit, relay, report, scale
from bench.stats import (fmt, growth_per, latency_summary, median_run, percentile, ratio, table,
                         verdict)
from bot.config import Settings


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


def test_inbox_file_gives_each_lane_its_bot_webhook_and_channel(tmp_path: Path) -> None:
    lanes = load.inbox_lanes(2)
    env = {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s",
           **procs.inboxes_env(tmp_path / "inboxes.toml", lanes, ("901:A", "902:B"))}
    settings = Settings.from_env({k: v for k, v in env.items() if v})
    got = [(i.name, i.slack_channel, i.telegram and str(i.telegram.token),
            i.telegram and i.telegram.webhook_url) for i in settings.inbox_list]
    assert got == [("in1", "CBENCH1", "901:A", "https://desk.test/telegram/in1/webhook"),
                   ("in2", "CBENCH2", "902:B", "https://desk.test/telegram/in2/webhook")]


def test_traffic_spreads_chats_over_its_lanes() -> None:
    lanes = load.inbox_lanes(2)
    traffic = load.Traffic(session=None, base="", slack=None, tg=None,  # type: ignore[arg-type]
                           lanes=lanes)
    assert [traffic.lane_of(chat).name for chat in range(4)] == ["in1", "in2", "in1", "in2"]


def test_compare_runs_old_and_new_bot_of_each_store_next_to_one_floor(tmp_path: Path) -> None:
    specs = bench_main.compare_targets("abc1234", tmp_path)
    assert [(s.name, s.store, s.root) for s in specs] == [
        ("floor", None, None), ("sqlite @ abc1234", "sqlite", tmp_path),
        ("sqlite", "sqlite", None), ("redis @ abc1234", "redis", tmp_path),
        ("redis", "redis", None)]
    extra, tokens = bench_main.bot_extra(specs[1], 1, tmp_path)
    assert (extra, tokens) == ({"PYTHONPATH": str(tmp_path)}, ())


def _relay(**msg_per_s: tuple[float, float]) -> dict[str, Any]:
    return {name: {direction: {"throughput": {"msg_per_s": speed}}
                   for direction, speed in zip(("inbound", "outbound"), speeds, strict=True)}
            for name, speeds in msg_per_s.items()}


def test_compare_rows_hold_the_budget_only_within_five_percent_of_the_old_ratio() -> None:
    relay = _relay(floor=(1000.0, 1000.0), sqlite=(600.0, 800.0), redis=(560.0, 500.0),
                   **{"sqlite @ old": (620.0, 800.0), "redis @ old": (600.0, 400.0)})
    rows = report.compare_rows(relay, "old")
    assert rows[0] == ["sqlite", "Telegram → Slack", "0.62", "0.60", "-0.02", "-3.2 %", "met"]
    assert rows[1][-3:] == ["+0.00", "+0.0 %", "met"]
    assert rows[2] == ["redis", "Telegram → Slack", "0.60", "0.56", "-0.04", "-6.7 %",
                       "missed"]
    assert rows[3][-1] == "met"
