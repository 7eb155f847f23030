"""The printed report: pure functions of the results dict (see results.json)."""

from __future__ import annotations

import math
from typing import Any

from bench.stats import fmt, ratio, table, verdict

DIRECTIONS = (("inbound", "Telegram → Slack"), ("outbound", "Slack → Telegram"))


def triple(run: dict[str, Any]) -> str:
    """``p50 / p95 / p99`` in ms, with a ``*`` when the run was above capacity."""
    text = " / ".join(fmt(run.get(k), 1) for k in ("p50_ms", "p95_ms", "p99_ms"))
    return text + (" *" if run.get("saturated") else "")


def runs_text(throughput: dict[str, Any]) -> str:
    """Each closed-loop run's msg/s, in the order they ran (older results have none)."""
    return " / ".join(fmt(float(x), 0) for x in throughput.get("runs_msg_per_s", ()))


def relay_table(relay: dict[str, Any], rates: list[int]) -> str:
    headers = ["target", "direction", "non-200", "max msg/s (median)", "runs", "× floor",
               *(f"@{r}/s p50/p95/p99 ms" for r in rates), *(f"@{r}/s p99 × floor" for r in rates)]
    rows = []
    floor = relay.get("floor", {})
    for target, figures in relay.items():
        for direction, label in DIRECTIONS:
            ours, base = figures[direction], floor.get(direction, {})
            speed = ours["throughput"]["msg_per_s"]
            rows.append([target, label, figures.get("errors", 0) if direction == "inbound" else "",
                         speed, runs_text(ours["throughput"]),
                         fmt(ratio(speed, base.get("throughput", {}).get("msg_per_s", math.nan)),
                             2),
                         *(triple(ours[f"latency@{r}"]) for r in rates),
                         *(ratio(ours[f"latency@{r}"]["p99_ms"],
                                 base.get(f"latency@{r}", {}).get("p99_ms", math.nan))
                           for r in rates)])
    return table(headers, rows)


def targets_table(relay: dict[str, Any], rates: list[int]) -> str:
    rows = []
    floor = relay.get("floor")
    at = 200 if 200 in rates else rates[-1]
    for backend in ("sqlite", "redis"):
        if backend not in relay or floor is None:
            continue
        for direction, label in DIRECTIONS:
            share = ratio(relay[backend][direction]["throughput"]["msg_per_s"],
                          floor[direction]["throughput"]["msg_per_s"])
            p99 = relay[backend][direction][f"latency@{at}"]["p99_ms"]
            rows += [[f"{backend}, {label}", "throughput ≥ 0.5× floor", fmt(share, 2),
                      verdict(share, 0.5, higher_is_better=True)],
                     [f"{backend}, {label}", f"p99 ≤ 50 ms at {at} msg/s", p99,
                      verdict(p99, 50, higher_is_better=False)]]
    return table(["where", "target", "measured", "verdict"], rows)


def rate_limited_table(run: dict[str, Any]) -> str:
    rows = [["messages / customers", f"{run['messages']} / {run['customers']}"],
            ["all visible after (s)", run["all_visible_s"]],
            ["ideal at 1 post/s (s)", max(0.0, run["posts"] - 1.0)],
            ["posts used (incl. thread roots)", run["posts"]],
            ["postMessage attempts", run["attempts"]],
            ["429s received", run["rate_limited_429"]], ["missing", run["missing"]]]
    return table(["rate-limited Slack (1 post/s/channel, bot at 1/s burst 4)", "value"], rows)


def scale_table(scale: dict[str, Any]) -> str:
    rows = []
    for backend, s in scale.items():
        small, large = s["lookups_small"], s["lookups_large"]
        rss = s["rss"]
        rows += [
            [backend, "storage.ingest (conversations/s, alone)", s["fill_large"]["ingest_per_s"]],
            [backend, f"RSS at start, {s['fill_large']['conversations']:,} convs (MiB)",
             rss["rss_start_kib"] / 1024],
            [backend, f"RSS after {rss['warm_messages']:,} relayed (MiB)",
             rss["rss_warm_kib"] / 1024],
            [backend, "RSS growth per 10,000 relayed, once warm (MiB)",
             rss["growth_kib_per_10k"] / 1024],
            *([backend, f"{name} p50 / p99 µs: {small_n:,} vs {large_n:,} convs",
               f"{fmt(small[name]['p50_us'], 0)} / {fmt(small[name]['p99_us'], 0)} vs "
               f"{fmt(large[name]['p50_us'], 0)} / {fmt(large[name]['p99_us'], 0)}"]
              for name in ("find_by_thread", "current_conversation", "find_message_by_slack_ts")
              if name in small
              for small_n, large_n in [(s["fill_small"]["conversations"],
                                        s["fill_large"]["conversations"])]),
        ]
    return table(["backend", "memory and scale", "value"], rows)


def profile_lines(profile: dict[str, Any]) -> str:
    areas = ", ".join(f"{k} {v:.0f}%" for k, v in list(profile["by_area_pct"].items())[:8])
    return (f"{profile['messages']} messages at {profile['msg_per_s']:.0f} msg/s under cProfile; "
            f"bot CPU {profile['bot_cpu_ms_per_message']:.1f} ms/message "
            f"({100 * profile['bot_cpu_share_of_wall']:.0f}% of one core, all threads)\n"
            f"event-loop thread by area: {areas}")


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    rates = list(results["plan"]["relay"]["rates"])
    parts = [f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
             f"Python {m['python']}, {m['date']} ({results.get('mode', '?')} run, "
             f"{results.get('seconds', 0):.0f} s)",
             "", relay_table(results["relay"], rates),
             "(* offered above capacity: the run is cut short and latency is queueing)",
             "", targets_table(results["relay"], rates),
             "", rate_limited_table(results["rate_limited"]),
             "", scale_table(results["scale"]),
             "", profile_lines(results["profile"])]
    return "\n".join(parts)


#: the issue's budget: the new bot keeps at least 95 % of the old one's ratio to the floor
BUDGET = 0.95


def compare_rows(relay: dict[str, Any], rev: str) -> list[list[Any]]:
    """Per store and direction: the old and the new bot's throughput as a ratio to the floor,
    the difference, and whether the new ratio is within the budget."""
    rows = []
    for store in ("sqlite", "redis"):
        for direction, label in DIRECTIONS:
            def share(name: str, direction: str = direction) -> float:
                return ratio(relay[name][direction]["throughput"]["msg_per_s"],
                             relay["floor"][direction]["throughput"]["msg_per_s"])
            old, new = share(f"{store} @ {rev}"), share(store)
            rows.append([store, label, fmt(old, 2), fmt(new, 2), f"{new - old:+.2f}",
                         f"{100 * ratio(new - old, old):+.1f} %",
                         verdict(ratio(new, old), BUDGET, higher_is_better=True)])
    return rows


def render_compare(results: dict[str, Any]) -> str:
    m, compared = results["machine"], results["compare"]
    rev, relay = compared["rev"], compared["relay"]
    rows = compare_rows(relay, rev)
    held = all(row[-1] == "met" for row in rows)
    rates = list(results["plan"]["relay"]["rates"])
    return "\n".join([
        f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['date']} "
        f"({results.get('mode', '?')} run, {results.get('seconds', 0):.0f} s)",
        "", relay_table(relay, rates), "",
        table(["store", "direction", f"× floor @ {rev}", "× floor now", "difference",
               "relative", f"≥ {BUDGET:.0%} of old"], rows), "",
        f"budget (new ratio ≥ {BUDGET:.0%} of old, both stores, both directions): "
        + ("holds" if held else "DOES NOT HOLD")])
