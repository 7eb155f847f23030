"""Where a file download may carry the bot token: SLACK_FILE_HOSTS and the API's origin."""

from __future__ import annotations

import pytest
from yarl import URL

from bot.config import Settings
from bot.errors import ConfigError
from bot.slack.file_hosts import FileHosts

SLACK = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "sig", "SLACK_CHANNEL": "C1"}


def test_slack_file_hosts_default_to_slacks_own() -> None:
    assert Settings.from_env(SLACK).slack.file_hosts == ("files.slack.com",)


def test_slack_file_hosts_are_read_as_a_list_of_host_names() -> None:
    env = {**SLACK, "SLACK_FILE_HOSTS": "files.slack.com, Files.Example.org"}
    assert Settings.from_env(env).slack.file_hosts == ("files.slack.com", "files.example.org")


@pytest.mark.parametrize("raw", ["https://files.slack.com", "files.slack.com:8443",
                                 "files.slack.com/x", ",", "bad host"])
def test_a_file_host_that_is_not_a_host_name_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**SLACK, "SLACK_FILE_HOSTS": raw})
    (problem,) = caught.value.problems
    assert problem.startswith("SLACK_FILE_HOSTS: ")


HOSTS = FileHosts.of(api_base="http://127.0.0.1:8123/api/", hosts=("files.slack.com",))


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://files.slack.com/files-pri/T1-F1/download/a.pdf", True),
    ("https://FILES.slack.com:443/files-pri/T1-F1/a.pdf", True),
    ("http://127.0.0.1:8123/files-pri/T1-F1/a.pdf", True),       # the configured API origin
    ("http://files.slack.com/files-pri/T1-F1/a.pdf", False),     # the token only over https
    ("https://files.slack.com:8443/files-pri/T1-F1/a.pdf", False),
    ("http://127.0.0.1:8124/files-pri/T1-F1/a.pdf", False),      # same host, another server
    ("https://files.slack.com.evil.example/a.pdf", False),
    ("https://files.slack.com@evil.example/a.pdf", False),
    ("https://user:pw@files.slack.com/a.pdf", False),
    ("/files-pri/T1-F1/a.pdf", False),
    ("", False),
])
def test_only_slack_hosts_may_receive_the_token(url: str, allowed: bool) -> None:
    assert HOSTS.allows(URL(url)) is allowed
