"""The inbox file (``INBOXES_FILE``): what a deployer writes, what the bot reads from it, and
how every mistake in it is reported at once, by inbox and key, without a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.env_reader import Secret, TableReader
from bot.errors import ConfigError
from bot.channels import CHANNELS
from bot.inboxes import Inbox, channel_sections, load_inboxes
from bot.models import DEFAULT_INBOX

ROOT = Path(__file__).resolve().parents[2]
ACME_TOKEN = "1111:acme-token_A"
BOLT_TOKEN = "2222:bolt-token_B"
HOOK_SECRET = "acme-hook-secret"
SLACK = {"SLACK_BOT_TOKEN": "xoxb-app", "SLACK_APP_TOKEN": "xapp-app"}
TWO_INBOXES = """
[inboxes.acme]
brand = "ACME Garden"
slack_channel = "C0ACME"
slack_bot_token = "env:ACME_SLACK_TOKEN"
[inboxes.acme.telegram]
bot_token = "env:ACME_TG_TOKEN"
webhook_url = "https://desk.example/telegram/acme/webhook"
webhook_secret = "env:ACME_TG_SECRET"
[inboxes.acme.policies.telegram]
window = "24h"
quota = 5

[inboxes.bolt]
slack_channel = "C0BOLT"
[inboxes.bolt.telegram]
bot_token = "env:BOLT_TG_TOKEN"
"""
SECRETS = {"ACME_SLACK_TOKEN": "xoxb-acme-workspace", "ACME_TG_TOKEN": ACME_TOKEN,
           "ACME_TG_SECRET": HOOK_SECRET, "BOLT_TG_TOKEN": BOLT_TOKEN}


def settings_of(tmp_path: Path, text: str, **env: str) -> Settings:
    path = tmp_path / "inboxes.toml"
    path.write_text(text)
    return Settings.from_env({**SLACK, **SECRETS, "INBOXES_FILE": str(path), **env})


def problems_of(tmp_path: Path, text: str, **env: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        settings_of(tmp_path, text, **env)
    return caught.value.problems


def test_a_file_with_a_webhook_inbox_and_a_polling_inbox_is_read(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, TWO_INBOXES, TELEGRAM_API_BASE="http://127.0.0.1:9/")
    acme, bolt = settings.inboxes
    assert (acme.name, acme.label, acme.slack_channel) == ("acme", "ACME Garden", "C0ACME")
    assert acme.slack_bot_token == "xoxb-acme-workspace"
    assert acme.telegram is not None and acme.telegram.token == ACME_TOKEN
    assert acme.telegram.webhook_url == "https://desk.example/telegram/acme/webhook"
    assert acme.telegram.webhook_secret == HOOK_SECRET
    assert acme.telegram.api_base == "http://127.0.0.1:9"  # TELEGRAM_API_BASE stays global
    assert acme.policies == {"telegram": {"window": "24h", "quota": 5}}
    assert (bolt.name, bolt.label, bolt.slack_channel, bolt.slack_bot_token) == (
        "bolt", "bolt", "C0BOLT", "")
    assert bolt.telegram is not None and bolt.telegram.token == BOLT_TOKEN
    assert bolt.telegram.webhook_url == "" and bolt.policies == {}
    # the default inbox's variables are not set beside a file: nothing else runs
    assert not settings.telegram.enabled and settings.slack.channel == ""


def test_without_a_file_the_variables_describe_the_default_inbox() -> None:
    settings = Settings.from_env({**SLACK, "SLACK_CHANNEL": "C1",
                                  "TELEGRAM_BOT_TOKEN": ACME_TOKEN})
    assert settings.inboxes == (Inbox(name=DEFAULT_INBOX, slack_channel="C1",
                                      telegram=settings.telegram),)


def test_plain_text_secrets_are_accepted(tmp_path: Path) -> None:
    text = TWO_INBOXES.replace('"env:BOLT_TG_TOKEN"', f'"{BOLT_TOKEN}"')
    bolt = settings_of(tmp_path, text, BOLT_TG_TOKEN="").inboxes[1]
    assert bolt.telegram is not None and bolt.telegram.token == BOLT_TOKEN


def test_the_example_file_loads_with_its_variables_set() -> None:
    settings = Settings.from_env({
        **SLACK, "INBOXES_FILE": str(ROOT / "inboxes.example.toml"),
        "ACME_TELEGRAM_TOKEN": ACME_TOKEN, "ACME_TELEGRAM_WEBHOOK_SECRET": HOOK_SECRET,
        "BOLT_TELEGRAM_TOKEN": BOLT_TOKEN, "BOLT_SLACK_BOT_TOKEN": "xoxb-bolt"})
    assert [(i.name, i.label) for i in settings.inboxes] == [("acme", "ACME Garden"),
                                                             ("bolt", "Bolt Bikes")]
    assert all(inbox.telegram is not None for inbox in settings.inboxes)


def test_every_mistake_is_listed_at_once_with_its_inbox_and_key(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, """
colour = "blue"
[inboxes.acme]
brand = 7
slack_channel = "#support"
slack_bot_token = "xoxp-user-token"
colour = "blue"
[inboxes.acme.telegram]
bot_token = "not-a-token"
webhook_url = "ftp://desk.example/hook"
mode = "webhook"
[inboxes.acme.policies.telegram]
quota = 0
[inboxes.acme.policies.sms]
quota = 1
[inboxes.acme.wechat]
app_id = "wx1"
[inboxes.Bad]
slack_channel = "C0BAD"
[inboxes.empty]
brand = "Nothing"
[inboxes.hooked.telegram]
bot_token = "3:abc"
webhook_url = "https://desk.example/telegram/hooked/webhook"
webhook_secret = "has spaces"
[inboxes.nosecret]
slack_channel = "C0NOSECRET"
[inboxes.nosecret.telegram]
bot_token = "4:abc"
webhook_url = "https://desk.example/telegram/nosecret/webhook"
""")
    assert sorted(problems) == sorted([
        f"INBOXES_FILE: {tmp_path / 'inboxes.toml'} has an unknown key 'colour'; every table "
        "is under [inboxes.NAME]",
        "inboxes.acme.colour: unknown key; expected brand, slack_channel, slack_bot_token, "
        "policies or a channel section (telegram)",
        "inboxes.acme.telegram.mode: unknown key; expected bot_token, webhook_url, "
        "webhook_secret",
        "inboxes.acme.telegram.bot_token: expected <digits>:<letters> as BotFather gives it",
        "inboxes.acme.telegram.webhook_secret: required with webhook_url, so only Telegram "
        "can post updates",
        "inboxes.acme.telegram.webhook_url: must be an http(s) URL",
        "inboxes.acme.wechat: this release has no channel 'wechat'; available: telegram",
        "inboxes.acme.slack_bot_token: expected a bot token starting with xoxb-",
        "inboxes.acme.brand: expected a string, not a number",
        "inboxes.acme.slack_channel: expected a channel id such as C0123456789 (channel "
        "details, at the bottom), not its name",
        "inboxes.acme.policies.telegram: quota must be a whole number of messages, 1 or more",
        "inboxes.acme.policies.sms: no channel 'sms'; available: telegram",
        "inboxes.Bad: an inbox name is made of a-z, 0-9, _ and -",
        "inboxes.empty.slack_channel: required",
        "inboxes.empty: no channel; add a section for one of: telegram",
        "inboxes.hooked.slack_channel: required",
        "inboxes.hooked.telegram.webhook_secret: 1-256 characters of A-Z, a-z, 0-9, _ and -",
        "inboxes.nosecret.telegram.webhook_secret: required with webhook_url, so only "
        "Telegram can post updates",
    ])


def test_a_missing_environment_variable_names_inbox_key_and_variable(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, TWO_INBOXES, ACME_TG_SECRET="", BOLT_TG_TOKEN="")
    assert problems == [
        "inboxes.acme.telegram.webhook_secret: the environment variable ACME_TG_SECRET is "
        "not set",
        "inboxes.bolt.telegram.bot_token: the environment variable BOLT_TG_TOKEN is not set"]


@pytest.mark.parametrize(("value", "problem"), [
    ('"env:"', "inboxes.bolt.telegram.bot_token: env: must be followed by an environment "
               "variable's name"),
    ('""', "inboxes.bolt.telegram.bot_token: required"),
    ("42", "inboxes.bolt.telegram.bot_token: expected a string, not a number"),
])
def test_a_bot_token_must_be_given(tmp_path: Path, value: str, problem: str) -> None:
    text = TWO_INBOXES.replace('"env:BOLT_TG_TOKEN"', value)
    assert problems_of(tmp_path, text) == [problem]


def test_env_is_for_secrets_only(tmp_path: Path) -> None:
    text = TWO_INBOXES.replace('slack_channel = "C0BOLT"', 'slack_channel = "env:BOLT_CH"')
    assert problems_of(tmp_path, text, BOLT_CH="C0BOLT") == [
        "inboxes.bolt.slack_channel: env: reads secrets only; write the value itself"]


@pytest.mark.parametrize("variable", ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL",
                                      "TELEGRAM_WEBHOOK_SECRET", "SLACK_CHANNEL"])
def test_the_default_inboxs_variables_are_refused_beside_a_file(tmp_path: Path,
                                                                 variable: str) -> None:
    value = {"TELEGRAM_BOT_TOKEN": "9:abc", "TELEGRAM_WEBHOOK_URL": "https://x.example/hook",
             "TELEGRAM_WEBHOOK_SECRET": "abc", "SLACK_CHANNEL": "C9"}[variable]
    problems = problems_of(tmp_path, TWO_INBOXES, **{variable: value})
    assert [p for p in problems if "INBOXES_FILE" in p] == [
        f"{variable}: not used with INBOXES_FILE, which defines every inbox; unset it (the "
        "file gives each inbox its own)"]


def test_a_file_needs_the_slack_app(tmp_path: Path) -> None:
    assert problems_of(tmp_path, TWO_INBOXES, SLACK_BOT_TOKEN="", SLACK_APP_TOKEN="") == [
        "SLACK_BOT_TOKEN: required with INBOXES_FILE, whose inboxes post to Slack"]


def test_two_inboxes_share_neither_a_slack_channel_nor_a_bot(tmp_path: Path) -> None:
    text = (TWO_INBOXES.replace('"C0BOLT"', '"C0ACME"')
            .replace("env:BOLT_TG_TOKEN", "env:ACME_TG_TOKEN"))
    assert problems_of(tmp_path, text) == [
        "inboxes.bolt.slack_channel: C0ACME is already inbox acme's channel; each inbox "
        "needs its own",
        "inboxes.bolt.telegram.bot_token: the same bot as inbox acme; one bot serves one inbox"]


@pytest.mark.parametrize(("text", "problem"), [
    ("", "defines no inbox; add an [inboxes.NAME] table"),
    ("[inboxes]\n", "defines no inbox; add an [inboxes.NAME] table"),
    ("inboxes = 3\n", "defines no inbox; add an [inboxes.NAME] table"),
])
def test_a_file_that_says_nothing_usable_is_one_problem(tmp_path: Path, text: str,
                                                        problem: str) -> None:
    assert problems_of(tmp_path, text) == [
        f"INBOXES_FILE: {tmp_path / 'inboxes.toml'} {problem}"]


def test_a_file_that_is_not_toml_is_one_problem_saying_where(tmp_path: Path) -> None:
    text = TWO_INBOXES.replace('"C0BOLT"', '"C0BOLT', 1)
    [problem] = problems_of(tmp_path, text)
    assert problem.startswith(f"INBOXES_FILE: {tmp_path / 'inboxes.toml'} is not valid TOML: ")
    assert "line 15" in problem


def test_a_file_that_cannot_be_read_is_one_problem(tmp_path: Path) -> None:
    env = {**SLACK, "INBOXES_FILE": str(tmp_path / "missing.toml")}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert caught.value.problems == [
        f"INBOXES_FILE: cannot read {tmp_path / 'missing.toml'}: No such file or directory"]


def test_a_file_that_is_not_text_is_one_problem(tmp_path: Path) -> None:
    (tmp_path / "inboxes.toml").write_bytes(b"\xff\xfe[inboxes.acme]")
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**SLACK, "INBOXES_FILE": str(tmp_path / "inboxes.toml")})
    assert caught.value.problems == [
        f"INBOXES_FILE: {tmp_path / 'inboxes.toml'} is not UTF-8 text"]


def test_no_secret_is_ever_shown(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, TWO_INBOXES.replace("env:BOLT_TG_TOKEN", BOLT_TOKEN))
    broken = (TWO_INBOXES.replace("env:BOLT_TG_TOKEN", "2222:bolt token with spaces")
              .replace('"https://desk.example/telegram/acme/webhook"', '"ftp://x"')
              .replace("env:ACME_SLACK_TOKEN", "xoxp-acme-user-token")
              .replace("env:ACME_TG_SECRET", "acme secret with spaces"))
    problems = "\n".join(problems_of(tmp_path, broken))
    assert "bot_token" in problems and "webhook_secret" in problems
    for secret in ("xoxb-acme-workspace", ACME_TOKEN, HOOK_SECRET, BOLT_TOKEN, "spaces",
                   "xoxp-acme"):
        assert secret not in repr(settings)
        assert secret not in problems


def test_python_m_bot_with_a_bad_file_says_it_once_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "inboxes.toml").write_text(
        '[inboxes.acme]\nslack_channel = "C0ACME"\n[inboxes.acme.telegram]\n'
        'bot_token = "env:ACME_TG_TOKEN"\nwebhook_url = "https://desk.example/hook"\n')
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **SLACK,
           "INBOXES_FILE": "inboxes.toml", "ACME_TG_TOKEN": ACME_TOKEN}
    proc = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "configuration error, the bot did not start:",
        "  - inboxes.acme.telegram.webhook_secret: required with webhook_url, so only "
        "Telegram can post updates"]
    assert ACME_TOKEN not in proc.stderr + proc.stdout


def pager_account(table: TableReader) -> Secret:
    table.refuse_unknown(("number",))
    return table.secret("number", required=True)


def test_a_section_is_read_by_its_channel_as_the_registry_gives_it(tmp_path: Path) -> None:
    """A channel package with only its registry line: its section is read by the package
    and kept with the inbox; its mistakes are listed with the others."""
    path = tmp_path / "inboxes.toml"
    path.write_text('[inboxes.shop]\nslack_channel = "C0SHOP"\n'
                    '[inboxes.shop.pager]\nnumber = "env:SHOP_PAGER"\ncolour = "red"\n')
    sections = {**channel_sections({"telegram": Settings().telegram}), "pager": pager_account}
    problems: list[str] = []
    (shop,) = load_inboxes(str(path), env={"SHOP_PAGER": "555-0100"}, sections=sections,
                           problems=problems)
    assert shop.accounts == {"pager": "555-0100"} and shop.telegram is None
    assert len(problems) == 1 and "inboxes.shop.pager.colour" in problems[0]
    assert set(channel_sections({"telegram": Settings().telegram})) == set(CHANNELS)
