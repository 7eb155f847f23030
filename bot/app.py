"""Composition root: the only place that builds clients and wires the parts together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot import jobs, loggers
from bot.access import Access
from bot.actions import ConversationActions
from bot.billing import create_providers
from bot.billing.base import BaseBillingProvider
from bot.conversation_events import ConversationEvents
from bot.cards import CardBuilder
from bot.channels import CHANNELS, capabilities_by_kind
from bot.channels.base import ChannelServices, Component
from bot.crm import create_crm
from bot.crm.base import BaseCrm
from bot.desk_actions import DeskActions
from bot.leads import LeadService
from bot.config import Settings
from bot.errors import ConfigError, StorageError
from bot.failures import FailureReporter
from bot.inbox_directory import InboxDirectory
from bot.inboxes import Inbox
from bot.lifecycle.clock import Clock, SystemClock
from bot.lifecycle.scheduler import Scheduler
from bot.metrics import Metrics
from bot.outbox import Handler, Outbox
from bot.delivery_jobs import DeliveryJobs
from bot.jobs import Rates
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
    conversations: ConversationEvents
    delivery_jobs: DeliveryJobs
    desk_actions: DeskActions
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


def describe_channels(settings: Settings) -> dict[str, Any]:
    """What ``/healthz`` says of the channels: each channel kind, whether any inbox has an
    account on it; with an inbox file also ``inboxes``, each inbox's Slack channel and
    channel kinds."""
    served = {name: any(inbox_channels(inbox)[name] for inbox in settings.inboxes)
              for name in CHANNELS}
    described: dict[str, Any] = {**served, "slack": settings.slack.enabled}
    if settings.inbox_list:
        described["inboxes"] = {
            inbox.name: {"slack_channel": inbox.slack_channel, **inbox_channels(inbox)}
            for inbox in settings.inbox_list}
    return described


def inbox_channels(inbox: Inbox) -> dict[str, bool]:
    """Each channel kind: whether ``inbox`` has an account on it."""
    return {name: package.account(inbox) is not None for name, package in CHANNELS.items()}


def log_disabled_parts(settings: Settings) -> None:
    if settings.inbox_list:
        _log_inboxes(settings.inbox_list)
    elif not any(describe_channels(settings)[name] for name in CHANNELS):
        loggers.app.warning("Telegram channel disabled: set TELEGRAM_BOT_TOKEN to enable it")
    if not settings.slack.enabled:
        loggers.app.warning(
            "Slack workspace disabled: set SLACK_BOT_TOKEN, SLACK_CHANNEL and "
            "SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) to enable it; "
            "customer messages are stored and wait until it is")


def _log_inboxes(inboxes: tuple[Inbox, ...]) -> None:
    """With an inbox file, the file says what is served: one line per inbox."""
    for inbox in inboxes:
        served = [name for name, on in inbox_channels(inbox).items() if on]
        if served:
            loggers.app.info("Inbox %s (%s): %s, threads in Slack channel %s", inbox.name,
                             inbox.label, ", ".join(served), inbox.slack_channel)
        else:
            loggers.app.warning("Inbox %s serves no channel: give it a section "
                                "[inboxes.%s.<channel>] in INBOXES_FILE (channels: %s)",
                                inbox.name, inbox.name, ", ".join(CHANNELS))


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
    billing: Sequence[BaseBillingProvider] | None = None,
) -> BotApp:
    """:param billing: the billing providers whose customer context threads show; None:
        those ``settings`` configures (none configured: no billing line, no button)"""
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
    conversations = ConversationEvents(storage=storage, outbox=outbox, renderer=renderer,
                                       clock=clock, metrics=metrics, access=access)
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    crm = create_crm(settings.crm, storage=storage, outbox=outbox, http=http, clock=clock)
    leads = LeadService(storage=storage, crm=crm, renderer=renderer, clock=clock, outbox=outbox,
                        access=access)
    actions = ConversationActions(storage=storage, outbox=outbox, renderer=renderer,
                                  clock=clock, access=access)
    desk_actions = DeskActions(storage=storage, conversations=conversations, actions=actions,
                               leads=leads, renderer=renderer)
    desk_actions.install()
    inboxes = InboxDirectory(settings.inboxes)
    cards = CardBuilder(storage=storage, renderer=renderer, lead_line=leads.card_line,
                        inboxes=inboxes)
    bot_app = BotApp(settings=settings, storage=storage, clock=clock, metrics=metrics,
                     renderer=renderer, outbox=outbox, conversations=conversations, web=app,
                     desk_actions=desk_actions,
                     delivery_jobs=DeliveryJobs(storage=storage, renderer=renderer, workspace=None,
                                                channels={}, cards=cards, inboxes=inboxes))
    bot_app.components.append(HttpSessions(crm, http))
    if settings.slack.enabled:
        _wire_slack(bot_app)
    _wire_channels(bot_app)
    desk_jobs = _wire_manager(bot_app)
    _wire_lifecycle(bot_app)
    if billing is None:
        billing = create_providers(settings.billing, http=http, clock=clock)
    billing_jobs = _wire_billing(bot_app, billing)
    _finish_slack(bot_app)  # after every feature that registers Slack listeners
    jobs.route_jobs(outbox, [bot_app.delivery_jobs.handlers(), crm.handlers(), desk_jobs,
                        billing_jobs],
               Rates(slack_per_channel=(settings.slack_post_rate, settings.slack_post_burst)))
    outbox.on_failure(FailureReporter(storage=storage, renderer=renderer, clock=clock,
                                      outbox=outbox))
    return bot_app


def _wire_manager(bot_app: BotApp) -> Mapping[str, Handler]:
    """The managers' slash command and what it steers (pause, hours, intake).

    :return: the outbox jobs of what it steers"""
    from bot.manager.customer_effects import CustomerEffects
    from bot.manager.service import ManagerService

    effects = CustomerEffects(storage=bot_app.storage, outbox=bot_app.outbox,
                              renderer=bot_app.renderer, clock=bot_app.clock)
    effects.install(bot_app.conversations)
    command = bot_app.settings.slack.command
    manager = ManagerService(storage=bot_app.storage, renderer=bot_app.renderer,
                             clock=bot_app.clock, access=bot_app.conversations.access,
                             command=command, inboxes=bot_app.settings.inboxes,
                             channels=sorted(capabilities_by_kind()))
    # First in the list, so stopped last: after Slack stops delivering commands, and still
    # before the store closes, the answers in progress finish.
    bot_app.components.insert(0, manager)
    if bot_app.slack_app is not None:
        from handlers.slack_commands import register_manager_command

        register_manager_command(bot_app.slack_app, manager=manager, command=command)
    return effects.handlers()


def _wire_billing(bot_app: BotApp,
                  providers: Sequence[BaseBillingProvider]) -> Mapping[str, Handler]:
    """The customer's billing context in the thread, when a provider is configured.

    :return: its outbox jobs"""
    if not providers:
        return {}
    from bot.billing.card import BillingLines
    from bot.billing.panel import CustomerPanel
    from bot.billing.service import CustomerContext

    storage, renderer, clock = bot_app.storage, bot_app.renderer, bot_app.clock
    context = CustomerContext(storage=storage, outbox=bot_app.outbox, clock=clock,
                              providers=providers)
    bot_app.components.append(context)  # closes the providers' clients at shutdown
    cards = bot_app.delivery_jobs.cards
    cards.line_sources.append(BillingLines(context=context, renderer=renderer, clock=clock))
    cards.customer_button = renderer.render("slack/billing/card_button.txt").strip()
    panel = CustomerPanel(storage=storage, context=context,
                          conversations=bot_app.conversations, renderer=renderer,
                          clock=clock, access=bot_app.conversations.access)
    panel.install()
    workspace = bot_app.delivery_jobs.workspace
    if bot_app.slack_app is not None and workspace is not None:
        from handlers.slack_billing import register_billing_handlers

        register_billing_handlers(bot_app.slack_app, panel=panel, workspace=workspace)
    return context.handlers()


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
    conversations = bot_app.conversations
    conversations.reuse = activity.reuse
    conversations.intake_gates.append(activity.load_reopen_window)  # keeps reuse current
    conversations.message_hooks.extend([activity.on_message, guard.on_message])
    conversations.reply_checks.append(guard.check_reply)
    bot_app.delivery_jobs.cards.note_sources.extend([activity.card_note, guard.card_note])
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
    bot_app.delivery_jobs.workspace = workspace
    bot_app.components.append(workspace)
    authorize = (Installations(list(clients.values())).authorize_function()
                 if len(clients) > 1 else None)
    slack_app = build_slack_app(client=client, signing_secret=s.signing_secret,
                                socket_mode=s.socket_mode, authorize=authorize)
    register_slack_handlers(slack_app, conversations=bot_app.conversations,
                            deliveries=SlackDeliveries(bot_app.storage))
    register_action_handlers(slack_app, card_actions=bot_app.desk_actions,
                             renderer=bot_app.renderer, workspace=workspace)
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
    services = ChannelServices(events=bot_app.conversations, clock=bot_app.clock,
                               admission=admission_of(bot_app.web))
    for inbox in bot_app.settings.inboxes:
        for name, package in CHANNELS.items():
            account = package.account(inbox)
            if account is None:
                continue
            parts = package.build(inbox, account, services)
            bot_app.delivery_jobs.channels[(inbox.name, name)] = parts.sender
            bot_app.components.extend(parts.components)
            for route in parts.routes:
                bot_app.web.router.add_route(route.method, route.path, route.handler)
