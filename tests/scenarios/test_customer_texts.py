"""Customer texts leave the core as purpose, language and context; the channel renders
them when it sends, and jobs queued by the previous release still go out as they were."""

from __future__ import annotations

import pytest

from bot import jobs
from bot.models import ConversationKey, NewJob
from tests.fakes import tg_updates as tg
from tests.scenarios.harness import Desk


@pytest.mark.parametrize("desk", ["sqlite", "redis"], indirect=True)
async def test_a_text_queued_by_the_previous_release_is_sent_as_it_was_rendered(
        desk: Desk) -> None:
    """The previous release queued Telegram HTML under ``html``: after the upgrade the
    customer gets exactly that text, markup applied, not re-escaped."""
    legacy = NewJob(jobs.SEND_TEXT, {"channel": "telegram", "chat_id": "701",
                                     "html": "<b>Merci</b> &amp; à bientôt",
                                     "conversation_id": 0},
                    "legacy-greeting:701", "chan:telegram:701")
    await desk.storage.enqueue([legacy], now=0.0)
    desk.app.outbox.notify()
    await desk.settle()
    assert desk.tg.texts(701) == ["Merci & à bientôt"]


@pytest.mark.parametrize("desk", ["sqlite", "redis"], indirect=True)
async def test_a_neutral_text_is_rendered_by_the_channel_in_the_customers_language(
        desk: Desk) -> None:
    text = jobs.CustomerText("declined", "ja", {"reason": "<b>対象外</b>"})
    await desk.storage.enqueue([jobs.send_text(ConversationKey("telegram", "702"), text,
                                               "declined:702")], now=0.0)
    desk.app.outbox.notify()
    await desk.settle()
    [shown] = desk.tg.texts(702)
    assert "お応えできません" in shown and "理由：<b>対象外</b>" in shown


async def test_a_customers_name_in_a_greeting_never_runs_as_markup(desk: Desk) -> None:
    await desk.customer_sends(tg.start_command(703, first_name="<b>Ann</b>&amp;",
                                               language_code="en"))
    await desk.settle()
    assert desk.tg.texts(703) == [
        "Hello, <b>Ann</b>&amp;! Write your question here and our team will answer you in "
        "this chat."]
