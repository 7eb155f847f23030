"""A fully wired bot (Slack, a Telegram inbox, the webhook CRM, the desk settings, a billing
provider) runs every kind of outbox job the table describes, each under the rate limit the
table names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import jobs
from storage.sqlite import SqliteStorage
from tests.fakes.crm_webhook import FakeCrmWebhook
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.stripe_api import FakeStripeAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import running_desk


@pytest.fixture
async def crm_hook() -> AsyncIterator[FakeCrmWebhook]:
    async with FakeCrmWebhook("crm-secret") as fake:
        yield fake


@pytest.fixture
async def stripe() -> AsyncIterator[FakeStripeAPI]:
    async with FakeStripeAPI() as fake:
        yield fake


async def test_every_kind_in_the_table_is_served(
        fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI, tmp_path: Path,
        crm_hook: FakeCrmWebhook, stripe: FakeStripeAPI) -> None:
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'kinds.sqlite3'}")
    async with running_desk(store, fake_slack, fake_tg, CRM="webhook",
                            CRM_WEBHOOK_URL=crm_hook.hook_url,
                            CRM_WEBHOOK_SECRET="crm-secret", STRIPE_SECRET_KEY="sk_test_fake",
                            STRIPE_API_BASE=stripe.url) as desk:
        routes = desk.app.outbox.routes
        assert set(routes) == set(jobs.BY_KIND)
        limited = {kind: route.limit.bucket for kind, route in routes.items() if route.limit}
        assert limited == {spec.kind: {jobs.RateLimit.SLACK_CHANNEL: "slack:",
                                       jobs.RateLimit.CUSTOMER_CHAT: "chat:"}[spec.limit]
                           for spec in jobs.KINDS if spec.limit is not jobs.RateLimit.NONE}
