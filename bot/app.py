"""Composition root: the only place that builds clients and wires the parts together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot import loggers
from bot.access import Access
from bot.actions import ConversationActions
from bot.billing.base import BaseBillingProvider
from bot.bridge import Bridge
from bot.cards import CardBuilder
from bot.channels import CHANNELS, capabilities_by_kind
from bot.channels.base import ChannelServices, Component
from bot.crm import create_crm
from bot.crm.base import BaseCrm
from bot.desk import Desk
from bot.leads import LeadService
from bot.config import Settings
from bot.errors import ConfigError, StorageError
from bot.failures import FailureReporter
from bot.inbox_directory import InboxDirectory
from bot.lifecycle.clock import Clock, SystemClock
from bot.lifecycle.scheduler import Scheduler
from bot.metrics import Metrics
from bot.outbox import Outbox
from bot.relay import Rates, Relay
from bot.rendering import Renderer
from bot.slack.file_hosts import FileHosts
from bot.slack.workspace import SlackWorkspace
from bot.web import Health, admission_of, create_web_app
from storage import create_storage
from storage.base import BaseStorage


@dataclass
class BotApp:
    settings: Settings
    storage: BaseStorage
    clock: Clock
    metrics: Metrics
    renderer: Renderer
    outbox: Outbox
    bridge: Bridge
    relay: Relay
    desk: Desk
    web: web.Application
    components: list[Component] = field(default_factory=list)
    slack_app: Any = None
    run_outbox: bool = True
    sweeper: Scheduler | None = None  # the lifecycle timers (see _wire_lifecycle)

    async def start(self) -> None:
        """Start in order: clients and channels, then the outbox worker.
        The store is open already; the web server is started by the caller, last."""
        for component in self.components:
            await component.start()
        if self.run_outbox:
            self.outbox.start()

    async def stop(self) -> None:
        """Stop in reverse: the outbox finishes or releases its jobs, channels and clients
        close, the store closes last."""
        await self.outbox.stop()
        for component in reversed(self.components):
            await component.stop()
        await self.storage.close()


class HttpSessions:
    """Closes the CRM and the shared outgoing HTTP session at shutdown."""

    def __init__(self, crm: BaseCrm, http: aiohttp.ClientSession) -> None:
        self.crm, self.http = crm, http

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        await self.crm.close()
        await self.http.close()


def describe_channels(settings: Settings) -> dict[str, bool]:
    """Each channel kind: whether any inbox has an account on it."""
    served = {name: any(package.account(inbox) is not None for inbox in settings.inboxes)
              for name, package in CHANNELS.items()}
    return {**served, "slack": settings.slack.enabled}


def log_disabled_parts(settings: Settings) -> None:
    if not any(describe_channels(settings)[name] for name in CHANNELS):
        loggers.app.warning("Telegram channel disabled: set TELEGRAM_BOT_TOKEN to enable it")
    if not settings.slack.enabled:
        loggers.app.warning(
            "Slack workspace disabled: set SLACK_BOT_TOKEN, SLACK_CHANNEL and "
            "SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) to enable it; "
            "customer messages are stored and wait until it is")


async def open_storage(settings: Settings) -> BaseStorage:
    """The store ``STORAGE_URL`` names, for the server and the command-line tools.

    :raise ConfigError: the store cannot be opened, or a SQLite store went missing
    """
    try:
        return await create_storage(settings.storage_url, sqlite_create=settings.sqlite_create)
    except StorageError as exc:
        raise ConfigError([f"STORAGE_URL: {exc}"]) from exc


async def build_app(
    settings: Settings,
    *,
    storage: BaseStorage | None = None,
    clock: Clock | None = None,
    outbox_seed: int | None = None,
    poll_interval: float = 0.2,
    billing: Sequence[BaseBillingProvider] = (),
) -> BotApp:
    """:param billing: the billing providers whose customer context threads show (none:
        no billing line, no Customer button)"""
    clock = clock or SystemClock()
    storage = storage or await create_storage(settings.storage_url,
                                              sqlite_create=settings.sqlite_create)
    metrics = Metrics()
    renderer = Renderer(default_language=settings.default_language)
    outbox = Outbox(storage, clock=clock, metrics=metrics, seed=outbox_seed,
                    poll_interval=poll_interval, lease=settings.outbox_lease)
    health = Health(storage=storage, metrics=metrics, channels=describe_channels(settings))
    app = create_web_app(health, max_body_bytes=settings.max_body_bytes)
    access = Access(operators=settings.slack.operators, managers=settings.slack.managers)
    bridge = Bridge(storage=storage, outbox=outbox, renderer=renderer, clock=clock,
                    metrics=metrics, access=access)
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    crm = create_crm(settings.crm, storage=storage, outbox=outbox, http=http, clock=clock)
    leads = LeadService(storage=storage, crm=crm, renderer=renderer, clock=clock, outbox=outbox,
                        access=access)
    actions = ConversationActions(storage=storage, outbox=outbox, renderer=renderer,
                                  clock=clock, access=access)
    desk = Desk(storage=storage, bridge=bridge, actions=actions, leads=leads, renderer=renderer)
    desk.install()
    inboxes = InboxDirectory(settings.inboxes)
    cards = CardBuilder(storage=storage, renderer=renderer, lead_line=leads.card_line,
                        inboxes=inboxes)
    bot_app = BotApp(settings=settings, storage=storage, clock=clock, metrics=metrics,
                     renderer=renderer, outbox=outbox, bridge=bridge, web=app, desk=desk,
                     relay=Relay(storage=storage, renderer=renderer, workspace=None,
                                 channels={}, cards=cards, inboxes=inboxes))
    bot_app.components.append(HttpSessions(crm, http))
    crm.register(outbox)
    if settings.slack.enabled:
        _wire_slack(bot_app)
    _wire_channels(bot_app)
    bot_app.relay.rates = Rates(slack_per_channel=(settings.slack_post_rate,
                                                   settings.slack_post_burst))
    _wire_manager(bot_app)
    _wire_lifecycle(bot_app)
    _wire_billing(bot_app, billing)
    _finish_slack(bot_app)  # after every feature that registers Slack listeners
    bot_app.relay.register(outbox)
    outbox.on_failure(FailureReporter(storage=storage, renderer=renderer, clock=clock,
                                      outbox=outbox))
    return bot_app


def _wire_manager(bot_app: BotApp) -> None:
    """The managers' slash command and what it steers (pause, hours, intake)."""
    from bot.manager.customer_effects import CustomerEffects
    from bot.manager.service import ManagerService

    CustomerEffects(storage=bot_app.storage, outbox=bot_app.outbox, renderer=bot_app.renderer,
                    clock=bot_app.clock).install(bot_app.bridge)
    command = bot_app.settings.slack.command
    manager = ManagerService(storage=bot_app.storage, renderer=bot_app.renderer,
                             clock=bot_app.clock, access=bot_app.bridge.access, command=command,
                             inboxes=bot_app.settings.inboxes)
    # First in the list, so stopped last: after Slack stops delivering commands, and still
    # before the store closes, the answers in progress finish.
    bot_app.components.insert(0, manager)
    if bot_app.slack_app is not None:
        from handlers.slack_commands import register_manager_command

        register_manager_command(bot_app.slack_app, manager=manager, command=command)


def _wire_billing(bot_app: BotApp, providers: Sequence[BaseBillingProvider]) -> None:
    """The customer's billing context in the thread, when a provider is configured."""
    if not providers:
        return
    from bot.billing.card import BillingLines
    from bot.billing.panel import CustomerPanel
    from bot.billing.service import CustomerContext

    storage, renderer, clock = bot_app.storage, bot_app.renderer, bot_app.clock
    context = CustomerContext(storage=storage, outbox=bot_app.outbox, clock=clock,
                              providers=providers)
    context.register(bot_app.outbox)
    bot_app.components.append(context)  # closes the providers' clients at shutdown
    cards = bot_app.relay.cards
    cards.line_sources.append(BillingLines(context=context, renderer=renderer, clock=clock))
    cards.customer_button = renderer.render("slack/billing/card_button.txt").strip()
    panel = CustomerPanel(storage=storage, context=context, bridge=bot_app.bridge,
                          renderer=renderer, clock=clock, access=bot_app.bridge.access)
    panel.install()
    workspace = bot_app.relay.workspace
    if bot_app.slack_app is not None and workspace is not None:
        from handlers.slack_billing import register_billing_handlers

        register_billing_handlers(bot_app.slack_app, panel=panel, workspace=workspace)


def _wire_lifecycle(bot_app: BotApp) -> None:
    """Lifecycle timers (the sweeper) and channel messaging policies."""
    from bot.lifecycle.activity import Activity
    from bot.lifecycle.transitions import TransitionEffects
    from bot.policy_guard import PolicyGuard

    storage, outbox, renderer, clock = (bot_app.storage, bot_app.outbox, bot_app.renderer,
                                        bot_app.clock)
    activity = Activity(storage=storage, outbox=outbox, renderer=renderer, clock=clock)
    channel_rules = {name: capabilities.policy_doc()
                     for name, capabilities in capabilities_by_kind().items()}
    guard = PolicyGuard(storage=storage, outbox=outbox, renderer=renderer, clock=clock,
                        channel_rules=channel_rules,
                        inbox_rules={inbox.name: inbox.policies
                                     for inbox in bot_app.settings.inboxes})
    bridge = bot_app.bridge
    bridge.reuse = activity.reuse
    bridge.intake_gates.append(activity.load_reopen_window)  # keeps reuse current
    bridge.message_hooks.extend([activity.on_message, guard.on_message])
    bridge.reply_checks.append(guard.check_reply)
    bot_app.relay.cards.note_sources.extend([activity.card_note, guard.card_note])
    effects = TransitionEffects(storage=storage, renderer=renderer)
    bot_app.sweeper = Scheduler(storage=storage, outbox=outbox, effects=effects, clock=clock)
    bot_app.components.append(bot_app.sweeper)


def _wire_slack(bot_app: BotApp) -> None:
    from bot.slack.app import SocketModeRunner, add_slack_route, build_slack_app
    from bot.slack.app import build_slack_client
    from bot.slack.deliveries import SlackDeliveries
    from bot.slack.teams import Installations
    from handlers.slack_actions import register_action_handlers
    from handlers.slack_events import register_slack_handlers

    s = bot_app.settings.slack
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
    clients = {token: build_slack_client(token, s.api_base, session=http)
               for token in dict.fromkeys([s.bot_token, *_other_workspace_tokens(bot_app)])}
    client = clients[s.bot_token]
    file_hosts = FileHosts.of(api_base=s.api_base, hosts=s.file_hosts)
    by_channel = {inbox.slack_channel: clients[inbox.slack_bot_token]
                  for inbox in bot_app.settings.inboxes if inbox.slack_bot_token}
    workspace = SlackWorkspace(client, http=http, file_hosts=file_hosts, clients=by_channel)
    bot_app.relay.workspace = workspace
    bot_app.components.append(workspace)
    authorize = (Installations(list(clients.values())).authorize_function()
                 if len(clients) > 1 else None)
    slack_app = build_slack_app(client=client, signing_secret=s.signing_secret,
                                socket_mode=s.socket_mode, authorize=authorize)
    register_slack_handlers(slack_app, bridge=bot_app.bridge,
                            deliveries=SlackDeliveries(bot_app.storage))
    register_action_handlers(slack_app, desk=bot_app.desk, renderer=bot_app.renderer,
                             workspace=workspace)
    bot_app.slack_app = slack_app
    if s.socket_mode:
        bot_app.components.append(SocketModeRunner(slack_app, app_token=s.app_token))
    else:
        add_slack_route(bot_app.web, slack_app, signing_secret=s.signing_secret)


def _other_workspace_tokens(bot_app: BotApp) -> list[str]:
    """Bot tokens of the app's installations in other workspaces (inboxes that name one)."""
    return [inbox.slack_bot_token for inbox in bot_app.settings.inboxes
            if inbox.slack_bot_token]


def _finish_slack(bot_app: BotApp) -> None:
    """Slack's catch-all listeners, registered last of all: bolt runs the first listener
    that matches, so every specific one (buttons, modals, the slash command…) goes before."""
    if bot_app.slack_app is not None:
        from handlers.slack_events import register_fallbacks

        register_fallbacks(bot_app.slack_app)


def _wire_channels(bot_app: BotApp) -> None:
    """For every inbox, what each registered channel builds from the inbox's account on it:
    the sender the outbox uses, its runner, and its routes."""
    services = ChannelServices(events=bot_app.bridge, clock=bot_app.clock,
                               admission=admission_of(bot_app.web))
    for inbox in bot_app.settings.inboxes:
        for name, package in CHANNELS.items():
            account = package.account(inbox)
            if account is None:
                continue
            parts = package.build(inbox, account, services)
            bot_app.relay.channels[(inbox.name, name)] = parts.sender
            bot_app.components.extend(parts.components)
            for route in parts.routes:
                bot_app.web.router.add_route(route.method, route.path, route.handler)
