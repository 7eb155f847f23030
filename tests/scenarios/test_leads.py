"""Leads from the thread: modal and command, owners, pools, defaults, one per conversation,
transcript, the webhook CRM and the export."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.preferences import set_preference
from storage.sqlite import SqliteStorage
from tests.fakes import tg_updates as tg
from tests.fakes.crm_webhook import FakeCrmWebhook
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, OPERATOR, Desk, running_desk
from tests.scenarios.test_conversation_actions import click, submit

ROOT = Path(__file__).resolve().parents[2]


async def _open(desk: Desk, chat_id: int, **who: Any) -> str:
    await desk.customer_sends(tg.text_message(chat_id, "I want 3 chairs", **who))
    await desk.settle()
    return await desk.thread_of(chat_id)


async def _lead(desk: Desk, chat_id: int):  # type: ignore[no-untyped-def]
    conv = await desk.conversation(chat_id)
    assert conv is not None and conv.lead_id is not None, "no lead was created"
    lead = await desk.storage.get_lead(conv.lead_id)
    assert lead is not None
    return lead


def _select(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {
        "value": value, "text": {"type": "plain_text", "text": value}}}


def _input(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


async def test_lead_by_command_uses_the_defaults(desk: Desk) -> None:
    thread = await _open(desk, 501, first_name="Ann", last_name="Lee", username="annlee")
    await desk.operator_writes(thread, "!lead")
    await desk.settle()
    lead = await _lead(desk, 501)
    assert (lead.owner, lead.status, lead.source) == (OPERATOR, "New", "Telegram")
    assert (lead.first_name, lead.last_name, lead.username) == ("Ann", "Lee", "annlee")
    card = json.dumps(desk.slack.find(CHANNEL, thread)["blocks"])  # type: ignore[index]
    assert f"Lead #{lead.id}" in card and "New" in card and "Telegram" in card
    notice = desk.slack.thread(CHANNEL, thread)[-1]["text"]
    assert f"<@{OPERATOR}>" in notice and f"Lead #{lead.id}" in notice
    assert desk.tg.texts(501) == []


async def test_lead_by_modal_is_prefilled_and_submitted(desk: Desk) -> None:
    await desk.customer_sends(tg.contact_message(501, phone_number="+33612345678"))
    thread = await _open(desk, 501, first_name="Ann", last_name="Lee")
    assert await click(desk, "lead_create", 501) == 200
    (opened,) = desk.slack.calls_to("views.open")
    modal = json.dumps(opened["view"])
    assert "Ann" in modal and "Lee" in modal and "+33612345678" in modal
    values = {"first_name": {"value": _input("Ann")}, "last_name": {"value": _input("Lee")},
              "email": {"value": _input("ann@example.com")},
              "owner": {"value": {"type": "users_select", "selected_user": "UOPS2"}},
              "status": {"value": _select("Qualified")}, "source": {"value": _select("Google Ads")},
              "description": {"value": _input("3 chairs, Lyon")}}
    assert await submit(desk, "lead_create_modal", 501, values,
                        metadata=opened["view"]["private_metadata"]) == 200
    await desk.settle()
    lead = await _lead(desk, 501)
    assert (lead.owner, lead.status, lead.source) == ("UOPS2", "Qualified", "Google Ads")
    assert lead.email == "ann@example.com" and lead.phone == "+33612345678"
    assert "<@UOPS2>" in desk.slack.thread(CHANNEL, thread)[-1]["text"]


async def test_explicit_owner_status_and_source_then_update(desk: Desk) -> None:
    thread = await _open(desk, 501)
    await desk.operator_writes(thread, '!lead owner=<@UOPS2> status=contacted source="Lead form"')
    await desk.settle()
    lead = await _lead(desk, 501)
    assert (lead.owner, lead.status, lead.source) == ("UOPS2", "Contacted", "Lead form")
    await desk.operator_writes(thread, "!lead status=Qualified")
    await desk.settle()
    assert (await _lead(desk, 501)).status == "Qualified"
    card = json.dumps(desk.slack.find(CHANNEL, thread)["blocks"])  # type: ignore[index]
    assert "Qualified" in card


async def test_bad_status_is_refused_and_creates_nothing(desk: Desk) -> None:
    thread = await _open(desk, 501)
    await desk.operator_writes(thread, "!lead status=Bogus")
    await desk.settle()
    conv = await desk.conversation(501)
    assert conv is not None and conv.lead_id is None
    whisper = desk.slack.calls_to("chat.postEphemeral")[-1]["text"]
    assert "Bogus" in whisper and "Qualified" in whisper


@pytest.mark.parametrize("desk", ["sqlite", "redis"], indirect=True)
async def test_pool_round_robin_over_concurrent_creations(desk: Desk) -> None:
    await desk.storage.save_pool("sales", ["UA", "UB", "UC"])
    threads = [await _open(desk, 600 + n) for n in range(9)]
    await asyncio.gather(*(desk.operator_writes(t, "!lead pool=sales") for t in threads))
    await desk.settle()
    owners = [(await _lead(desk, 600 + n)).owner for n in range(9)]
    assert sorted(owners) == sorted(["UA", "UB", "UC"] * 3)


async def test_default_owner_then_default_pool(desk: Desk) -> None:
    await set_preference(desk.storage, "default_owner", "UBOSS")
    thread = await _open(desk, 501)
    await desk.operator_writes(thread, "!lead")
    await desk.settle()
    assert (await _lead(desk, 501)).owner == "UBOSS"
    await set_preference(desk.storage, "default_owner", "")
    await set_preference(desk.storage, "default_pool", "night")
    await desk.storage.save_pool("night", ["UN1", "UN2"])
    for chat_id in (502, 503):
        await desk.operator_writes(await _open(desk, chat_id), "!lead")
    await desk.settle()
    assert [(await _lead(desk, c)).owner for c in (502, 503)] == ["UN1", "UN2"]


async def test_without_defaults_the_first_manager_owns_when_operators_are_not_crm_users(
    fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI, tmp_path: Path
) -> None:
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'mgr.sqlite3'}")
    async with running_desk(store, fake_slack, fake_tg, SLACK_MANAGERS="UMGR1,UMGR2") as desk:
        await set_preference(desk.storage, "operators_are_crm_users", False)
        await desk.operator_writes(await _open(desk, 501), "!lead")
        await desk.settle()
        assert (await _lead(desk, 501)).owner == "UMGR1"


async def test_only_managers_pick_other_owners_when_the_setting_is_off(
    fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI, tmp_path: Path
) -> None:
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'own.sqlite3'}")
    async with running_desk(store, fake_slack, fake_tg, SLACK_MANAGERS="UMGR1") as desk:
        await set_preference(desk.storage, "operators_may_assign_any_owner", False)
        thread = await _open(desk, 501)
        await desk.operator_writes(thread, "!lead owner=<@UOPS2>")
        await desk.settle()
        conv = await desk.conversation(501)
        assert conv is not None and conv.lead_id is None
        assert "manager" in desk.slack.calls_to("chat.postEphemeral")[-1]["text"]
        await desk.operator_writes(thread, "!lead owner=<@UOPS2>", user="UMGR1")
        await desk.settle()
        assert (await _lead(desk, 501)).owner == "UOPS2"


async def test_double_clicks_and_retries_make_one_lead(desk: Desk) -> None:
    thread = await _open(desk, 501)
    values = {"status": {"value": _select("New")}}
    statuses = await asyncio.gather(*(submit(desk, "lead_create_modal", 501, values)
                                      for _ in range(3)))
    await desk.operator_writes(thread, "!lead")
    await desk.settle()
    assert statuses == [200, 200, 200]
    assert len(await desk.storage.list_leads()) == 1
    notices = [m for m in desk.slack.thread(CHANNEL, thread) if "created by" in m["text"]]
    assert len(notices) == 1


async def test_transcript_is_attached_and_later_messages_appended(desk: Desk) -> None:
    thread = await _open(desk, 501)
    await desk.operator_writes(thread, "How many chairs exactly?")
    await desk.settle()
    await desk.operator_writes(thread, "!lead")
    await desk.settle()
    await desk.customer_sends(tg.text_message(501, "Make it 4"))
    await desk.settle()
    activity = (await _lead(desk, 501)).activity
    transcript = next(a for a in activity if a["kind"] == "transcript")["text"]
    assert "I want 3 chairs" in transcript and "How many chairs exactly?" in transcript
    assert activity[-1]["kind"] == "message" and activity[-1]["text"] == "Make it 4"


@pytest.fixture
async def crm_hook() -> AsyncIterator[FakeCrmWebhook]:
    async with FakeCrmWebhook("crm-secret") as fake:
        yield fake


async def test_webhook_crm_gets_signed_events_with_retries(
    fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI, tmp_path: Path,
    crm_hook: FakeCrmWebhook
) -> None:
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'hook.sqlite3'}")
    crm_hook.fail_next("webhook", status=503)
    async with running_desk(store, fake_slack, fake_tg, CRM="webhook",
                            CRM_WEBHOOK_URL=crm_hook.hook_url,
                            CRM_WEBHOOK_SECRET="crm-secret") as desk:
        thread = await _open(desk, 501)
        await desk.operator_writes(thread, "!lead status=Qualified")
        await desk.settle(timeout=20)
        (delivery,) = [d for d in crm_hook.deliveries if d["json"]["event"] == "lead.created"]
        assert crm_hook.verified(delivery["headers"], delivery["body"])
        assert delivery["json"]["lead"]["status"] == "Qualified"
        assert crm_hook.attempts["webhook"] >= 2


async def test_webhook_crm_refusal_is_shown_in_the_thread(
    fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI, tmp_path: Path,
    crm_hook: FakeCrmWebhook
) -> None:
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'hook2.sqlite3'}")
    crm_hook.fail_next("webhook", status=400, times=5)
    async with running_desk(store, fake_slack, fake_tg, CRM="webhook",
                            CRM_WEBHOOK_URL=crm_hook.hook_url,
                            CRM_WEBHOOK_SECRET="crm-secret") as desk:
        thread = await _open(desk, 501)
        await desk.operator_writes(thread, "!lead")
        await desk.settle()
        texts = [m["text"] for m in desk.slack.thread(CHANNEL, thread)]
        assert any(t.startswith(":warning: The lead could not be sent to the CRM") for t in texts)


async def test_export_writes_every_lead(
    fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI, tmp_path: Path
) -> None:
    path = tmp_path / "export.sqlite3"
    async with running_desk(await SqliteStorage.from_url(f"sqlite:///{path}"), fake_slack,
                            fake_tg) as desk:
        for chat_id in (501, 502, 503):
            await desk.operator_writes(await _open(desk, chat_id), "!lead")
        await desk.settle()
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT),
           "STORAGE_URL": f"sqlite:///{path}"}
    out = subprocess.run([sys.executable, "-m", "bot", "leads", "export", "--format", "jsonl"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert sorted(r["id"] for r in rows) == [1, 2, 3]
    assert all(r["activity"] and r["owner"] == OPERATOR for r in rows)
