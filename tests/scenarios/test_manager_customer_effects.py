"""What the desk settings do to customers: the away reply while paused, the out-of-hours
reply outside business hours (across a daylight-saving change), and intake switched off.
Time is a hand-moved clock; the replies are checked in English, French and Japanese."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, Desk, running_desk
from tests.scenarios.slash import (
    MANAGER,
    ManualClock,
    ask,
    clock,  # noqa: F401  (fixture)
    mdesk,  # noqa: F401  (fixture)
    open_store,
)

LANGUAGES = ["en", "fr", "ja"]
AWAY = {"en": "Our team is away right now", "fr": "Notre équipe est absente",
        "ja": "ただいま担当者は不在にしております"}
# Monday 2026-11-02 09:00 UTC + 3 days, on the desk's clock (UTC: no hours set)
BACK = {"en": "back on Thursday 2026-11-05 09:00 (UTC)",
        "fr": "de retour le jeudi 2026-11-05 09:00 (UTC)",
        "ja": "2026-11-05（木曜日）09:00（UTC）に戻ります"}
PARIS = "Mon-Fri 09:00-18:00 tz=Europe/Paris"
OPENS_MONDAY = {"en": "We open again on Monday 09:00 (Europe/Paris)",
                "fr": "Nous rouvrons lundi 09:00 (Europe/Paris)",
                "ja": "次の営業開始は月曜日 09:00（Europe/Paris）です"}
OPENS_TUESDAY = {"en": "Tuesday 09:00 (Europe/Paris)", "fr": "mardi 09:00 (Europe/Paris)",
                 "ja": "火曜日 09:00（Europe/Paris）"}
CLOSED = {"en": "We are not taking new conversations here",
          "fr": "Nous ne prenons pas de nouvelles conversations ici",
          "ja": "新しいお問い合わせを受け付けておりません"}


async def writes(desk: Desk, clock: ManualClock, chat_id: int, text: str = "hello",
                 language: str = "en") -> None:
    await desk.customer_sends(tg.text_message(chat_id, text, language_code=language))
    await desk.settle()
    clock.advance(60)  # and lets the per-chat send rate refill


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- pause ------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
async def test_paused_customers_get_the_away_reply_once(mdesk: Desk, clock: ManualClock,
                                                        language: str) -> None:
    answer = await ask(mdesk, "pause for 3d Happy holidays <3")
    assert "Done: *pause* not paused → paused until 2026-11-05 09:00 UTC: Happy holidays <3" \
        in answer.replace("&lt;", "<")
    await writes(mdesk, clock, 601, "hello?", language)
    (away,) = mdesk.tg.texts(601)
    assert AWAY[language] in away and BACK[language] in away
    assert away.endswith("Happy holidays <3")  # the manager's message, escaped for HTML
    conv = await mdesk.conversation(601)
    assert conv is not None and conv.thread_ts  # still opened in Slack
    assert conv.extra["arrived_while_paused"] == conv.extra["away_sent"]
    assert "hello?" in mdesk.slack.thread(CHANNEL, conv.thread_ts)[-1]["text"]

    await writes(mdesk, clock, 601, "anyone?", language)
    assert len(mdesk.tg.texts(601)) == 1  # once per conversation per pause
    assert ":palm_tree: arrived while paused" in await ask(mdesk, "list new")


async def test_resume_and_a_new_pause(mdesk: Desk, clock: ManualClock) -> None:
    await ask(mdesk, "pause")
    await writes(mdesk, clock, 601)
    first = (await mdesk.conversation(601)).extra["away_sent"]  # type: ignore[union-attr]
    assert "Done: *pause* paused until resumed → not paused" in await ask(mdesk, "resume")
    await writes(mdesk, clock, 601)
    assert len(mdesk.tg.texts(601)) == 1  # no reply once resumed
    await ask(mdesk, "pause until 2026-12-24 Back for Christmas")
    await writes(mdesk, clock, 601)
    texts = mdesk.tg.texts(601)
    assert len(texts) == 2 and "back on Thursday 2026-12-24 (UTC)" in texts[1]
    conv = await mdesk.conversation(601)
    assert conv is not None and conv.extra["away_sent"] != first


async def test_pausing_again_keeps_the_pause(mdesk: Desk, clock: ManualClock) -> None:
    await ask(mdesk, "pause for 1d")
    await writes(mdesk, clock, 601)
    await ask(mdesk, "pause for 2d Extended")  # a new end and message, the same pause
    await writes(mdesk, clock, 601)
    assert len(mdesk.tg.texts(601)) == 1
    await writes(mdesk, clock, 602)
    assert "Extended" in mdesk.tg.texts(602)[0]


async def test_a_pause_ends_by_itself(mdesk: Desk, clock: ManualClock) -> None:
    await ask(mdesk, "pause for 2h")
    assert ":palm_tree: Paused until 2026-11-02 11:00 UTC" in await ask(mdesk, "")
    clock.advance(2 * 3600)
    await writes(mdesk, clock, 601)
    assert mdesk.tg.texts(601) == []
    assert "Paused" not in await ask(mdesk, "")


async def test_the_away_record_survives_a_restart(fake_slack: FakeSlackAPI,
                                                  fake_tg: FakeTelegramAPI, tmp_path: Path,
                                                  request: pytest.FixtureRequest) -> None:
    clock, path = ManualClock(), tmp_path / "restart.sqlite3"
    store = await open_store("sqlite", path, request)
    async with running_desk(store, fake_slack, fake_tg, clock=clock,
                            SLACK_MANAGERS=MANAGER) as desk:
        await ask(desk, "pause Closed for inventory")
        await writes(desk, clock, 601)
    store = await open_store("sqlite", path, request)
    async with running_desk(store, fake_slack, fake_tg, clock=clock,
                            SLACK_MANAGERS=MANAGER) as desk:
        await writes(desk, clock, 601)
        assert len(desk.tg.texts(601)) == 1
        conv = await desk.conversation(601)
        assert conv is not None and conv.extra["away_sent"]


async def test_no_away_reply_to_a_declined_customer(mdesk: Desk, clock: ManualClock) -> None:
    await writes(mdesk, clock, 601)
    await mdesk.operator_writes(await mdesk.thread_of(601), "!decline")
    await mdesk.settle()
    await ask(mdesk, "pause")
    await writes(mdesk, clock, 601)
    assert len(mdesk.tg.texts(601)) == 1  # only the decline notice


# -- business hours -----------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
async def test_out_of_hours_reply_across_the_dst_change(mdesk: Desk, clock: ManualClock,
                                                        language: str) -> None:
    # Saturday 2026-10-24 20:00 in Paris (CEST, UTC+2); the clocks go back on Sunday
    clock.current = utc("2026-10-24 18:00")
    await ask(mdesk, f"hours {PARIS}")
    await writes(mdesk, clock, 601, "hello?", language)
    (closed,) = mdesk.tg.texts(601)
    assert OPENS_MONDAY[language] in closed
    conv = await mdesk.conversation(601)
    # Monday 09:00 CET is 08:00 UTC (a week earlier it was 07:00 UTC)
    assert conv is not None and conv.extra["out_of_hours_sent"] == "2026-10-26T08:00:00+00:00"

    clock.current = utc("2026-10-25 12:00")  # Sunday: the same closed period
    await writes(mdesk, clock, 601, "still there?", language)
    assert len(mdesk.tg.texts(601)) == 1
    clock.current = utc("2026-10-26 07:30")  # Monday 08:30 CET: still closed, same period
    await writes(mdesk, clock, 601, "good morning", language)
    assert len(mdesk.tg.texts(601)) == 1
    clock.current = utc("2026-10-26 08:30")  # 09:30 CET: open
    await writes(mdesk, clock, 601, "hi", language)
    assert len(mdesk.tg.texts(601)) == 1
    clock.current = utc("2026-10-26 17:30")  # 18:30 CET: a new closed period
    await writes(mdesk, clock, 601, "one more thing", language)
    texts = mdesk.tg.texts(601)
    assert len(texts) == 2 and OPENS_TUESDAY[language] in texts[1]


async def test_hours_off_and_new_york(mdesk: Desk, clock: ManualClock) -> None:
    # Friday 2026-10-30 18:00 EDT; New York falls back on Sunday 2026-11-01
    clock.current = utc("2026-10-30 22:00")
    await ask(mdesk, "hours Mon-Fri 09:00-17:00 tz=America/New_York")
    await writes(mdesk, clock, 601)
    assert "Monday 09:00 (America/New_York)" in mdesk.tg.texts(601)[0]
    conv = await mdesk.conversation(601)
    assert conv is not None and conv.extra["out_of_hours_sent"] == "2026-11-02T14:00:00+00:00"
    assert "Done: *business_hours* Mon-Fri 09:00-17:00 tz=America/New_York → (none)" in \
        await ask(mdesk, "hours off")
    await writes(mdesk, clock, 602)
    assert mdesk.tg.texts(602) == []


async def test_a_pause_wins_over_hours(mdesk: Desk, clock: ManualClock) -> None:
    clock.current = utc("2026-10-24 18:00")
    await ask(mdesk, f"hours {PARIS}")
    await ask(mdesk, "pause until 2026-12-24 09:00")
    await writes(mdesk, clock, 601)
    (away,) = mdesk.tg.texts(601)
    # the end is read on the desk's clock (Paris, CET in December)
    assert "back on Thursday 2026-12-24 09:00 (Europe/Paris)" in away
    assert "Paused until 2026-12-24 09:00 Europe/Paris" in await ask(mdesk, "")


# -- intake -------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
async def test_intake_off_turns_new_customers_away(mdesk: Desk, clock: ManualClock,
                                                   language: str) -> None:
    await writes(mdesk, clock, 702)  # an existing customer
    assert "Done: *intake_closed* (none) → telegram" in await ask(mdesk,
                                                                  "intake telegram off")
    update = tg.text_message(701, "hi", language_code=language)
    await mdesk.customer_sends(update)
    await mdesk.customer_sends(update)  # Telegram redelivers: told once
    await mdesk.customer_sends(tg.text_message(701, "hello?", language_code=language))
    await mdesk.customer_sends(tg.start_command(701, language_code=language))  # no greeting
    await mdesk.settle()
    (closed,) = mdesk.tg.texts(701)  # told once a day, however often they write
    assert CLOSED[language] in closed
    assert await mdesk.conversation(701) is None  # not accepted: no conversation, no thread

    await writes(mdesk, clock, 702, "me again")  # existing conversations continue
    conv = await mdesk.conversation(702)
    assert conv is not None and "me again" in mdesk.slack.thread(
        CHANNEL, conv.thread_ts)[-1]["text"]
    assert mdesk.tg.texts(702) == []

    await ask(mdesk, "intake telegram on")
    await writes(mdesk, clock, 701, "and now?", language)
    assert await mdesk.conversation(701) is not None
    assert len(mdesk.tg.texts(701)) == 1
