"""CRM=webhook: lead events go through the outbox to a local receiver, signed and retried."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot import jobs
from bot.config import CrmSettings
from bot.env_reader import Secret
from bot.jobs import route_jobs
from bot.crm import CRMS, BuiltinCrm, WebhookCrm, create_crm
from bot.crm.webhook import check_response, sign
from bot.errors import PermanentError, RetryableError
from bot.jobs import Rates
from bot.lifecycle.retry import RetryPolicy
from bot.metrics import Metrics
from bot.models import Job
from bot.outbox import Outbox
from storage.base import BaseStorage
from tests.fakes.crm_webhook import METHOD, FakeCrmWebhook
from tests.support.clock import FakeClock
from tests.support.factories import lead

SECRET = "s3cret"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def receiver() -> AsyncIterator[FakeCrmWebhook]:
    async with FakeCrmWebhook(SECRET) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def outbox(sqlite_storage: BaseStorage, clock: FakeClock) -> Outbox:
    return Outbox(sqlite_storage, clock=clock, metrics=Metrics(), seed=3,
                  policy=RetryPolicy(base=1, cap=10, max_attempts=5))


@pytest.fixture
def crm(sqlite_storage: BaseStorage, outbox: Outbox, http: aiohttp.ClientSession,
        clock: FakeClock, receiver: FakeCrmWebhook) -> WebhookCrm:
    settings = CrmSettings(kind="webhook", webhook_url=receiver.hook_url,
                           webhook_secret=Secret(SECRET))
    made = create_crm(settings, storage=sqlite_storage, outbox=outbox, http=http, clock=clock)
    assert isinstance(made, WebhookCrm)
    route_jobs(outbox, [made.handlers()], Rates())
    return made


async def test_registry_is_explicit(sqlite_storage: BaseStorage, outbox: Outbox,
                                    http: aiohttp.ClientSession, clock: FakeClock) -> None:
    assert CRMS == {"builtin": BuiltinCrm, "webhook": WebhookCrm}
    made = create_crm(CrmSettings(), storage=sqlite_storage, outbox=outbox, http=http,
                      clock=clock)
    assert type(made) is BuiltinCrm
    assert jobs.CRM_WEBHOOK not in made.handlers()


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("k", "1700000000", "{}") == f"sha256={expected}"


@pytest.mark.parametrize(("status", "error", "retry_after"), [
    (200, None, None), (204, None, None), (429, RetryableError, 7.0),
    (500, RetryableError, None), (503, RetryableError, None), (400, PermanentError, None),
    (401, PermanentError, None), (404, PermanentError, None), (301, PermanentError, None)])
def test_status_mapping(status: int, error: type[Exception] | None,
                        retry_after: float | None) -> None:
    if error is None:
        check_response(status, {})
        return
    with pytest.raises(error) as caught:
        check_response(status, {"Retry-After": "7"} if status == 429 else {})
    assert getattr(caught.value, "retry_after", None) == retry_after


async def test_created_lead_is_stored_and_delivered_signed(
        crm: WebhookCrm, outbox: Outbox, receiver: FakeCrmWebhook,
        sqlite_storage: BaseStorage, clock: FakeClock) -> None:
    stored, created = await crm.create_lead(lead(7, owner="U2"))
    assert created and await sqlite_storage.get_lead(stored.id) is not None
    assert await outbox.run_once() == 1
    (delivery,) = receiver.deliveries
    headers, body = delivery["headers"], delivery["json"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Bot-Event"] == "lead.created"
    assert headers["X-Bot-Delivery"] == f"crm:lead.created:{stored.id}:1"
    assert headers["X-Bot-Timestamp"] == str(int(clock.now().timestamp()))
    assert receiver.verified(headers, delivery["body"])
    assert body["event"] == "lead.created" and body["sent_at"] == clock.now().isoformat()
    assert body["lead"]["id"] == stored.id and body["lead"]["owner"] == "U2"
    assert body["lead"]["customer"]["first_name"] == "Ann"


async def test_a_second_create_sends_nothing(crm: WebhookCrm, outbox: Outbox,
                                             receiver: FakeCrmWebhook) -> None:
    await crm.create_lead(lead(7))
    _, created = await crm.create_lead(lead(7))
    await outbox.run_until_idle()
    assert not created and receiver.events() == ["lead.created"]


async def test_update_and_notes_arrive_in_order_with_distinct_ids(
        crm: WebhookCrm, outbox: Outbox, receiver: FakeCrmWebhook) -> None:
    stored, _ = await crm.create_lead(lead(7))
    stored.status = "Qualified"
    await crm.update_lead(stored)
    await crm.add_note(stored, "called back", author="U1")
    stored.status = "Contacted"
    await crm.update_lead(stored)
    await outbox.run_until_idle()
    assert receiver.events() == ["lead.created", "lead.updated", "lead.note", "lead.updated"]
    ids = [d["headers"]["X-Bot-Delivery"] for d in receiver.deliveries]
    assert len(set(ids)) == 4
    note = receiver.deliveries[2]["json"]
    assert note["note"]["text"] == "called back" and note["note"]["kind"] == "note"
    assert note["lead"]["activity"][-1]["text"] == "called back"
    assert receiver.deliveries[3]["json"]["lead"]["status"] == "Contacted"


@pytest.mark.parametrize("fault", ["500", "503", "drop"])
async def test_failures_are_retried_until_delivered(
        crm: WebhookCrm, outbox: Outbox, receiver: FakeCrmWebhook, clock: FakeClock,
        fault: str) -> None:
    if fault == "drop":
        receiver.drop_next(METHOD, times=2)
    else:
        receiver.fail_next(METHOD, status=int(fault), times=2)
    stored, _ = await crm.create_lead(lead(7))
    for _ in range(2):
        assert await outbox.run_once() == 1
        assert receiver.deliveries == []
        clock.advance(60)
    await outbox.run_once()
    assert receiver.attempts[METHOD] == 3 and receiver.events() == ["lead.created"]
    assert receiver.deliveries[0]["headers"]["X-Bot-Delivery"].endswith(f":{stored.id}:1")


async def test_429_waits_for_retry_after(crm: WebhookCrm, outbox: Outbox,
                                         receiver: FakeCrmWebhook, clock: FakeClock) -> None:
    receiver.fail_next(METHOD, status=429, retry_after=30)
    await crm.create_lead(lead(7))
    await outbox.run_once()
    clock.advance(29)
    assert await outbox.run_once() == 0
    clock.advance(2)
    assert await outbox.run_once() == 1
    assert receiver.events() == ["lead.created"]


async def test_400_fails_for_good_with_a_human_reason(
        crm: WebhookCrm, outbox: Outbox, receiver: FakeCrmWebhook,
        sqlite_storage: BaseStorage, clock: FakeClock) -> None:
    failures: list[tuple[Job, str]] = []

    async def hook(job: Job, reason: str) -> None:
        failures.append((job, reason))

    outbox.on_failure(hook)
    receiver.fail_next(METHOD, status=400)
    await crm.create_lead(lead(7))
    await outbox.run_once()
    clock.advance(600)
    assert await outbox.run_once() == 0
    ((job, reason),) = failures
    assert reason == "the CRM webhook refused the lead (HTTP 400)"
    assert job.payload["conversation_id"] == 7 and job.payload["event"] == "lead.created"
    assert (await sqlite_storage.outbox_stats(now=clock.now().timestamp())).failed == 1


async def test_unreachable_receiver_is_retryable(
        sqlite_storage: BaseStorage, outbox: Outbox, http: aiohttp.ClientSession,
        clock: FakeClock) -> None:
    async with FakeCrmWebhook(SECRET) as gone:
        url = gone.hook_url
    crm = WebhookCrm(storage=sqlite_storage, outbox=outbox, http=http, clock=clock, url=url,
                     secret=SECRET)
    await crm.create_lead(lead(7))
    claimed = await sqlite_storage.claim_jobs(now=clock.now().timestamp(), lease=60, limit=5)
    with pytest.raises(RetryableError) as caught:
        await crm.deliver(claimed[0])
    assert caught.value.code == "network" and url not in caught.value.reason


async def test_job_payload_is_the_documented_shape(
        crm: WebhookCrm, sqlite_storage: BaseStorage, clock: FakeClock) -> None:
    stored, _ = await crm.create_lead(lead(7))
    (job,) = await sqlite_storage.claim_jobs(now=clock.now().timestamp(), lease=60, limit=5)
    assert job.kind == jobs.CRM_WEBHOOK
    assert job.dedupe_key == f"crm:lead.created:{stored.id}:1"
    assert set(job.payload) == {"conversation_id", "event", "lead"}
    assert json.loads(json.dumps(job.payload))["lead"]["id"] == stored.id
