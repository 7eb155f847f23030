"""The layering the architecture promises, checked on the source.

ARCHITECTURE.md ("The flow", "Layout") and STYLE.md (rules 1-8 and 19, "Dependency rules"):
each rule runs on the project, and on a planted offence, which it must name by file and
import or call, so that none of them can pass by seeing nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import layering_rules as rules

ROOT = Path(__file__).resolve().parents[2]
Rule = Callable[[Path], list[str]]

RULES: list[Rule] = [
    rules.models_are_a_leaf,
    rules.storage_sees_only_models_and_errors,
    rules.core_imports_no_framework,
    rules.only_the_root_imports_handlers,
    rules.nothing_reaches_back_into_the_root,
    rules.handlers_use_no_store,
    rules.handlers_call_no_web_api,
    rules.web_api_only_in_the_workspace,
    rules.only_the_root_imports_adapters,
    rules.channels_stay_apart,
    rules.only_the_entry_point_runs_the_process,
    rules.only_the_entry_point_reads_the_environment,
    rules.only_the_root_opens_http_sessions,
    rules.nothing_is_imported_dynamically,
    rules.handlers_register_nothing_on_import,
    rules.handlers_are_thin,
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_project_keeps_the_rule(rule: Rule) -> None:
    offences = rule(ROOT)
    assert not offences, f"{rule.__doc__ or rule.__name__}\n" + "\n".join(offences)


def rule_functions() -> set[Rule]:
    """The module's rules: its functions of the tree's root alone."""
    return {fn for _, fn in inspect.getmembers(rules, inspect.isfunction)
            if fn.__module__ == rules.__name__
            and list(inspect.signature(fn).parameters) == ["root"]}


def test_every_rule_runs_on_the_project_and_on_a_planted_offence() -> None:
    assert rule_functions() == set(RULES) == {rule for rule, _, _ in OFFENCES}


# (rule, files planted in an empty tree, the offence it must report)
OFFENCES: list[tuple[Rule, dict[str, str], str]] = [
    (rules.models_are_a_leaf, {"bot/models.py": "from bot.errors import ConfigError\n"},
     "bot/models.py:1 imports bot.errors.ConfigError"),
    (rules.storage_sees_only_models_and_errors,
     {"storage/sqlite.py": "from bot.models import Lead\nfrom bot.outbox import Outbox\n"},
     "storage/sqlite.py:2 imports bot.outbox.Outbox"),
    (rules.core_imports_no_framework,
     {"bot/lifecycle/timers.py": "def f():\n    import aiogram.types\n"},
     "bot/lifecycle/timers.py:2 imports aiogram.types"),
    (rules.core_imports_no_framework, {"bot/leads.py": "from redis.asyncio import Redis\n"},
     "bot/leads.py:1 imports redis.asyncio.Redis"),
    (rules.only_the_root_imports_handlers,
     {"bot/conversation_events.py": "from handlers.slack_events import Inject\n"},
     "bot/conversation_events.py:1 imports handlers.slack_events.Inject"),
    (rules.nothing_reaches_back_into_the_root,
     {"bot/export.py": "from bot.startup import open_storage\n"},
     "bot/export.py:1 imports bot.startup.open_storage"),
    (rules.handlers_use_no_store,
     {"handlers/slack_events.py": "from storage.base import BaseStorage\n"},
     "handlers/slack_events.py:1 imports storage.base.BaseStorage"),
    (rules.handlers_call_no_web_api,
     {"handlers/slack_actions.py": "async def f(client):\n    await client.views_open()\n"},
     "handlers/slack_actions.py:2 calls client.views_open"),
    (rules.handlers_call_no_web_api,
     {"handlers/slack_x.py": "from slack_sdk.web.async_client import AsyncWebClient\n"},
     "handlers/slack_x.py:1 imports slack_sdk.web.async_client.AsyncWebClient"),
    (rules.web_api_only_in_the_workspace,
     {"bot/slack/app.py": "async def f(app):\n    await app.client.chat_postMessage()\n"},
     "bot/slack/app.py:2 calls app.client.chat_postMessage"),
    (rules.only_the_root_imports_adapters,
     {"bot/startup.py": "from storage import BaseStorage, create_storage\n"},
     "bot/startup.py:1 imports storage.create_storage (store)"),
    (rules.only_the_root_imports_adapters,
     {"bot/leads.py": "from bot.crm.hubspot import HubspotCrm\n"},
     "bot/leads.py:1 imports bot.crm.hubspot.HubspotCrm (CRM)"),
    (rules.only_the_root_imports_adapters,
     {"bot/channels/wechat/__init__.py": "", "bot/delivery_jobs.py": "import bot.channels.wechat.api\n"},
     "bot/delivery_jobs.py:1 imports bot.channels.wechat.api (channel wechat)"),
    (rules.only_the_root_imports_adapters,
     {"bot/channels/wechat/__init__.py": "",
      "handlers/telegram_customer.py": "from bot.channels.wechat import api\n"},
     "handlers/telegram_customer.py:1 imports bot.channels.wechat.api (channel wechat)"),
    (rules.only_the_root_imports_adapters,
     {"handlers/slack_events.py": "from bot.slack.app import build_slack_app\n"},
     "handlers/slack_events.py:1 imports bot.slack.app.build_slack_app (Slack app builder)"),
    (rules.channels_stay_apart,
     {"bot/channels/wechat/__init__.py": "", "bot/channels/telegram/__init__.py": "",
      "bot/channels/wechat/send.py": "from bot.channels.telegram.media import kind\n"},
     "bot/channels/wechat/send.py:1 imports bot.channels.telegram.media.kind (channel telegram)"),
    (rules.channels_stay_apart,
     {"bot/channels/wechat/__init__.py": "",
      "bot/channels/wechat/send.py": "from storage.base import BaseStorage\n"},
     "bot/channels/wechat/send.py:1 imports storage.base.BaseStorage"),
    (rules.channels_stay_apart,
     {"bot/channels/wechat/__init__.py": "", "bot/channels/telegram/__init__.py": "",
      "bot/channels/telegram/send.py": "from bot.channels import CHANNELS\n"},
     "bot/channels/telegram/send.py:1 imports bot.channels.CHANNELS (registry of channels)"),
    (rules.channels_stay_apart,
     {"bot/slack/workspace.py": "from bot.channels.base import OutboundFile\n"},
     "bot/slack/workspace.py:1 imports bot.channels.base.OutboundFile"),
    (rules.only_the_entry_point_runs_the_process,
     {"bot/config.py": "import sys\ndef f():\n    sys.exit(2)\n"},
     "bot/config.py:3 calls sys.exit"),
    (rules.only_the_entry_point_runs_the_process,
     {"bot/web.py": "import logging\nlogging.basicConfig()\n"},
     "bot/web.py:2 calls logging.basicConfig"),
    (rules.only_the_entry_point_runs_the_process,
     {"storage/redis.py": "def f():\n    raise SystemExit(1)\n"},
     "storage/redis.py:2 raises SystemExit"),
    (rules.only_the_entry_point_reads_the_environment,
     {"bot/config.py": "import os\nTOKEN = os.environ.get('X')\n"},
     "bot/config.py:2 reads os.environ"),
    (rules.only_the_root_opens_http_sessions,
     {"bot/crm/hubspot.py": "import aiohttp\ns = aiohttp.ClientSession()\n"},
     "bot/crm/hubspot.py:2 calls aiohttp.ClientSession"),
    (rules.nothing_is_imported_dynamically,
     {"bot/crm/__init__.py": "import importlib\nimportlib.import_module('bot.crm.x')\n"},
     "bot/crm/__init__.py:2 calls importlib.import_module"),
    (rules.handlers_register_nothing_on_import,
     {"handlers/telegram_x.py": "@router.message()\nasync def f():\n    pass\n"},
     "handlers/telegram_x.py:2 decorates f on import"),
    (rules.handlers_are_thin,
     {"handlers/slack_x.py": "def f():\n    " + "\n    ".join(["pass"] * 16) + "\n"},
     "handlers/slack_x.py:1 f has 16 lines"),
]


def plant(root: Path, files: dict[str, str]) -> Path:
    for rel, text in {"bot/models.py": "", **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.mark.parametrize(("rule", "files", "offence"), OFFENCES,
                         ids=lambda v: v.__name__ if callable(v) else "")
def test_a_planted_offence_is_named(tmp_path: Path, rule: Rule, files: dict[str, str],
                                    offence: str) -> None:
    assert rule(plant(tmp_path, files)) == [offence]


# What the rules let through on purpose (each would be an offence elsewhere).
ALLOWED: list[tuple[Rule, dict[str, str]]] = [
    (rules.only_the_root_imports_adapters,  # a channel's own listeners, package and registry
     {"bot/channels/wechat/__init__.py": "",
      "handlers/wechat_webhook.py": "from bot.channels.wechat.crypto import decrypt\n",
      "bot/channels/wechat/send.py": "from bot.channels.wechat.crypto import decrypt\n",
      "bot/channels/__init__.py": "from bot.channels.wechat.channel import WechatChannel\n"}),
    (rules.only_the_root_imports_adapters,  # the settings read with the adapters' parsers
     {"bot/channels/wechat/__init__.py": "",
      "bot/inboxes.py": "from bot.channels.wechat.settings import wechat_from_table\n",
      "bot/config.py": "from storage.redis_url import masked\n"
                       "from bot.channels import CHANNELS\n"}),
    (rules.only_the_root_imports_adapters,
     {"bot/app.py": "from storage import create_storage\nimport bot.channels.telegram\n",
      "bot/crm/webhook.py": "from bot.crm.builtin import BuiltinCrm\n",
      "bot/channels/base.py": "",
      "bot/leads.py": "from bot.crm.base import BaseCrm\n"
                      "from bot.channels.base import Channel\n"}),
    (rules.core_imports_no_framework,  # the adapters and the web server
     {"bot/channels/wechat/__init__.py": "", "bot/channels/wechat/api.py": "import aiohttp\n",
      "bot/crm/hubspot.py": "import aiohttp\n", "bot/web.py": "from aiohttp import web\n",
      "bot/slack/workspace.py": "from slack_sdk.web.async_client import AsyncWebClient\n"}),
    (rules.channels_stay_apart,  # its own modules, and the neutral ones beside the packages
     {"bot/channels/wechat/__init__.py": "", "bot/channels/capabilities.py": "",
      "bot/channels/wechat/send.py": "from bot.channels.wechat.api import call\n"
                                     "from bot.channels.capabilities import Capabilities\n"
                                     "from bot.models import OutboundFile\n"}),
    (rules.web_api_only_in_the_workspace,
     {"bot/slack/workspace.py": "async def f(self):\n    await self.client.views_open()\n"}),
    (rules.only_the_entry_point_runs_the_process,
     {"bot/__main__.py": "import sys, asyncio\nasyncio.run(main())\nsys.exit(0)\n"}),
    (rules.handlers_are_thin,  # a registration whose nested listener is short
     {"handlers/x.py": "def add():\n    async def route():\n        "
      + "\n        ".join(["pass"] * 15) + "\n    return route\n"}),
]


@pytest.mark.parametrize(("rule", "files"), ALLOWED,
                         ids=lambda v: v.__name__ if callable(v) else "")
def test_what_the_layering_allows_passes(tmp_path: Path, rule: Rule,
                                        files: dict[str, str]) -> None:
    assert rule(plant(tmp_path, files)) == []
