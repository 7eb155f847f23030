"""The desk's figures against hand-computed numbers (bot/manager/stats.py).

``NOW`` is Monday 2026-11-02 09:00 UTC. Unless a case says otherwise, business hours are the
default 07:00-21:00 UTC every day. Weights are ``0.5 ** (age_days / 30)``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.manager.hours import DEFAULT_HOURS, BusinessHours, parse_hours
from bot.manager.stats import estimate, figures, percentile, phrase, report, weight
from bot.models import Conversation, ConversationKey, Lead, Status

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_ids = iter(range(1, 10_000))


def conv(created: datetime, response_after: float | None = None, *,
         status: Status = Status.ACTIVE, assignee: str = "U1",
         declined_by: str = "") -> Conversation:
    c = Conversation(id=next(_ids), key=ConversationKey("telegram", "1"), status=status,
                     created_at=created, assignee=assignee)
    if response_after is not None:
        c.first_response_at = created + timedelta(seconds=response_after)
    if declined_by:
        c.extra["last_action"] = {"verb": "declined", "by": declined_by, "at": ""}
    return c


def lead(created: datetime, by: str) -> Lead:
    return Lead(id=next(_ids), conversation_id=0, owner=by, status="New", source="Telegram",
                created_by=by, created_at=created)


def ago(days: float, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def paris(spec: str) -> BusinessHours:
    hours = parse_hours(spec)
    assert isinstance(hours, BusinessHours)
    return hours


# -- business-hours clipping ------------------------------------------------------------------

@pytest.mark.parametrize(("hours", "start", "end", "expected"), [
    # inside one window: 10 minutes
    (DEFAULT_HOURS, "2026-11-02 10:00", "2026-11-02 10:10", 600),
    # 20:50 → 21:00 (10 min) + next day 07:00 → 07:10 (10 min) = 1200
    (DEFAULT_HOURS, "2026-11-02 20:50", "2026-11-03 07:10", 1200),
    # entirely at night: 0
    (DEFAULT_HOURS, "2026-11-02 22:00", "2026-11-03 06:59", 0),
    # 06:00 → 08:00: only 07:00-08:00 counts = 3600
    (DEFAULT_HOURS, "2026-11-01 06:00", "2026-11-01 08:00", 3600),
    # Mon 10:00-21:00 (11 h) + Tue 14 h + Wed 07:00-10:00 (3 h) = 28 h = 100800
    (DEFAULT_HOURS, "2026-11-02 10:00", "2026-11-04 10:00", 100800),
    # Paris Mon-Fri 09-18, across the switch to winter time on Sun 2026-10-25:
    # Fri 23 Oct 17:00 CEST (15:00 UTC) → 18:00 = 1 h; Mon 26 Oct 09:00 CET (08:00 UTC)
    # → 10:00 CET (09:00 UTC) = 1 h; total 7200 (an offset fixed at +2 would give 3600)
    (paris("Mon-Fri 09:00-18:00 tz=Europe/Paris"), "2026-10-23 15:00", "2026-10-26 09:00",
     7200),
    # the day of the switch lasts 25 h: Sun 00:00 CEST (Sat 22:00 UTC) → Mon 00:00 CET
    # (Sun 23:00 UTC) = 90000
    (paris("Sun 00:00-24:00 tz=Europe/Paris"), "2026-10-24 00:00", "2026-10-27 00:00", 90000),
    # New York's switch, Sun 2026-11-01: also 25 h (Sun 04:00 UTC → Mon 05:00 UTC)
    (paris("Sun 00:00-24:00 tz=America/New_York"), "2026-10-31 00:00", "2026-11-03 00:00",
     90000),
    # end before start: nothing
    (DEFAULT_HOURS, "2026-11-02 11:00", "2026-11-02 10:00", 0),
])
def test_business_seconds(hours: BusinessHours, start: str, end: str, expected: float) -> None:
    assert hours.business_seconds(utc(start), utc(end)) == expected


# -- the response-time estimate ---------------------------------------------------------------

PARIS = "Mon-Fri 09:00-18:00 tz=Europe/Paris"


@pytest.mark.parametrize(("spec", "convs", "expected"), [
    # one answered conversation: its own business time, whatever its weight
    ("", [conv(ago(30), 600)], 600),
    # 30 d old (w 0.5) 600 s and 60 d old (w 0.25) 1200 s: (300 + 300) / 0.75 = 800
    ("", [conv(ago(30), 600), conv(ago(60), 1200)], 800),
    # older than 90 days: left out → still 800
    ("", [conv(ago(30), 600), conv(ago(60), 1200), conv(ago(91), 60000)], 800),
    # 15 d (w 2**-0.5) and 45 d (w 2**-1.5): weights 2:1 → (2·300 + 900) / 3 = 500
    ("", [conv(ago(15), 300), conv(ago(45), 900)], 500),
    # unanswered conversations do not count
    ("", [conv(ago(30), 600), conv(ago(1))], 600),
    # written Sun 2026-10-25 20:50, answered Mon 07:10: wall 10 h 20 min, but only
    # 20:50-21:00 and 07:00-07:10 are (default) business time = 1200
    ("", [conv(utc("2026-10-25 20:50"), 37200)], 1200),
    # Paris hours (CET, UTC+1 since 25 Oct): written Fri 2026-10-30 16:30 UTC (17:30 CET),
    # answered Mon 08:15 UTC (09:15 CET): 30 min + 15 min = 2700
    (PARIS, [conv(utc("2026-10-30 16:30"), 2 * 86400 + 15 * 3600 + 45 * 60)], 2700),
    ("", [], None),
])
def test_estimate(spec: str, convs: list[Conversation], expected: float | None) -> None:
    hours = paris(spec) if spec else DEFAULT_HOURS
    got = estimate(convs, now=NOW, hours=hours)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(("age_days", "expected"), [
    (0, 1.0), (30, 0.5), (60, 0.25), (90, 0.125), (15, 2 ** -0.5)])
def test_weight_has_a_30_day_half_life(age_days: float, expected: float) -> None:
    assert weight(ago(age_days), NOW) == pytest.approx(expected)


@pytest.mark.parametrize(("seconds", "key"), [
    (60, "minutes"), (900, "minutes"), (901, "hour"), (3600, "hour"), (3601, "hours"),
    (6 * 3600, "hours"), (6 * 3600 + 1, "day"), (3 * 86400, "day")])
def test_phrase(seconds: float, key: str) -> None:
    assert phrase(seconds) == key


@pytest.mark.parametrize(("values", "expected"), [
    ([], None), ([5.0], 5.0),
    # nearest rank: ceil(0.9 · 10) = 9th value
    ([float(v) for v in range(1, 11)], 9.0),
    # ceil(0.9 · 11) = ceil(9.9) = 10th value
    ([float(v) for v in range(1, 12)], 10.0),
    # ceil(0.9 · 3) = 3rd
    ([60.0, 120.0, 300.0], 300.0)])
def test_p90_is_nearest_rank(values: list[float], expected: float | None) -> None:
    assert percentile(values, 0.9) == expected


# -- the whole report on one fixture -------------------------------------------------------------
# Created at 09:00 UTC n days before NOW; every answer comes within minutes, inside
# 07:00-21:00, so business time = wall time.
#   c1  1 d  answered after   60 s  active    U1
#   c2  2 d  answered after  120 s  active    U1
#   c3  3 d  answered after  300 s  closed    U2
#   c4  4 d  unanswered             new       (nobody)
#   c5  5 d  unanswered             declined  by U2
#   c6 20 d  answered after 3600 s  active    U2
# Leads: one by U1 1 d ago, one by U2 25 d ago.
FIXTURE = [
    conv(ago(1), 60), conv(ago(2), 120), conv(ago(3), 300, status=Status.CLOSED, assignee="U2"),
    conv(ago(4), status=Status.NEW, assignee=""),
    conv(ago(5), status=Status.DECLINED, assignee="", declined_by="U2"),
    conv(ago(20), 3600, assignee="U2")]
LEADS = [lead(ago(1), "U1"), lead(ago(25), "U2")]
W = {d: 0.5 ** (d / 30) for d in (1, 2, 3, 20)}  # 0.97716, 0.95484, 0.93303, 0.62996


@pytest.mark.parametrize(("days", "row"), [
    # 7 d: c1-c5; 1 lead; accepted c1 c2 c3 = 3/5 = 60 %; declined 1/5 = 20 %;
    # answered [60, 120, 300]: median 120, p90 = 3rd = 300
    (7, (5, 1, 3, 1, 3, 120, 300, 0.6, 0.2)),
    # 30 d: all 6; 2 leads; accepted 4/6; declined 1/6;
    # answered [60, 120, 300, 3600]: median (120 + 300) / 2 = 210, p90 = ceil(3.6) = 4th = 3600
    (30, (6, 2, 4, 1, 4, 210, 3600, 4 / 6, 1 / 6)),
])
def test_figures(days: int, row: tuple[float, ...]) -> None:
    f = figures(FIXTURE, LEADS, now=NOW, days=days, hours=DEFAULT_HOURS)
    assert (f.conversations, f.leads, f.accepted, f.declined, f.answered,
            f.median_first_response, f.p90_first_response) == row[:7]
    assert (f.accept_rate, f.decline_rate) == (pytest.approx(row[7]), pytest.approx(row[8]))
    # the estimate ignores the period (always the last 90 days):
    # (0.97716·60 + 0.95484·120 + 0.93303·300 + 0.62996·3600) / 3.49500
    # = (58.63 + 114.58 + 279.91 + 2267.86) / 3.49500 = 2720.98 / 3.49500 = 778.54
    expected = sum(W[d] * x for d, x in ((1, 60), (2, 120), (3, 300), (20, 3600))) / sum(
        W.values())
    assert f.estimate == pytest.approx(expected) == pytest.approx(778.54, abs=0.01)


def test_per_operator_breakdown() -> None:
    result = report(FIXTURE, LEADS, now=NOW, days=30)
    rows = dict(result.operators)
    assert list(rows) == ["U1", "U2"]  # c4 has nobody: no row
    u1, u2 = rows["U1"], rows["U2"]
    # U1: c1, c2; 1 lead; median (60 + 120) / 2 = 90; p90 ceil(1.8) = 2nd = 120;
    # estimate (0.97716·60 + 0.95484·120) / 1.93200 = 173.21 / 1.93200 = 89.65
    assert (u1.conversations, u1.leads, u1.accepted, u1.declined) == (2, 1, 2, 0)
    assert (u1.median_first_response, u1.p90_first_response) == (90, 120)
    assert u1.estimate == pytest.approx(89.65, abs=0.01)
    # U2: c3, c5 (declined by U2), c6; 1 lead; answered [300, 3600]: median 1950, p90 3600;
    # estimate (0.93303·300 + 0.62996·3600) / 1.56299 = 2547.77 / 1.56299 = 1630.06
    assert (u2.conversations, u2.leads, u2.accepted, u2.declined) == (3, 1, 2, 1)
    assert (u2.median_first_response, u2.p90_first_response) == (1950, 3600)
    assert u2.estimate == pytest.approx(1630.06, abs=0.01)


def test_one_operator_only() -> None:
    result = report(FIXTURE, LEADS, now=NOW, days=7, operator="U2")
    # 7 d, U2: c3 and c5; accepted 1 (c3), declined 1; lead of 25 d ago is out of the period
    assert (result.overall.conversations, result.overall.accepted, result.overall.declined,
            result.overall.leads) == (2, 1, 1, 0)
    assert [user for user, _ in result.operators] == ["U2"]


def test_no_conversations_gives_no_rates() -> None:
    f = figures([], [], now=NOW, days=7, hours=DEFAULT_HOURS)
    assert (f.accept_rate, f.median_first_response, f.p90_first_response, f.estimate) == (
        None, None, None, None)
