"""The pure channel policy rules (bot/policies.py), table-driven."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.models import Attachment, Conversation, ConversationKey, Status
from bot.policies import (
    MB,
    NO_POLICY,
    ChannelPolicy,
    MediaRule,
    Violation,
    channel_policies,
    channel_policy,
    file_format,
    message_cost,
    quota_left,
    reply_violation,
    window_end,
)
from bot.channels.platform_rules import WECHAT as WECHAT_CAPABILITIES
from tests.support.factories import T0

H = timedelta(hours=1)
BUILT_IN = {"wechat": WECHAT_CAPABILITIES.policy_doc()}
WECHAT = channel_policy(BUILT_IN["wechat"])


def conv(*, streak: int = 0, customer: timedelta | None = timedelta(0)) -> Conversation:
    return Conversation(id=1, key=ConversationKey("wechat", "o1"), status=Status.ACTIVE,
                        created_at=T0, operator_streak=streak,
                        last_customer_at=None if customer is None else T0 + customer)


def file(name: str, size: int = 1000, mime: str = "") -> Attachment:
    return Attachment(kind="file", ref="https://files.slack.test/x", name=name, mime=mime,
                      size=size)


def test_wechat_defaults_follow_the_platform() -> None:
    assert WECHAT == ChannelPolicy(
        window=48 * H, quota=5, media=(
            MediaRule("image", 10 * MB, ("jpeg", "jpg", "png")),
            MediaRule("voice", 2 * MB, ("amr", "mp3")),
            MediaRule("video", 10 * MB, ("mp4",))))


@pytest.mark.parametrize(("case", "files", "now", "expected"), [
    # the window: 48 h after the customer's last message
    (conv(), [], 47 * H, None),
    (conv(), [], 51 * H, Violation("window_closed", {"window": 48 * H, "closed_for": 3 * H})),
    (conv(customer=10 * H), [], 51 * H, None),
    (conv(customer=None), [], 49 * H, Violation("window_closed",
                                                {"window": 48 * H, "closed_for": H})),
    # the quota: 5 operator messages per customer message
    (conv(streak=4), [], H, None),
    (conv(streak=5), [], H, Violation("quota_used", {"quota": 5, "sent": 5})),
    (conv(streak=3), [file("a.jpg"), file("b.jpg")], H, None),
    (conv(streak=3), [file("a.jpg")] * 3, H, Violation("quota_short",
                                                       {"quota": 5, "left": 2, "cost": 3})),
    # the window is the first reason given
    (conv(streak=5), [], 49 * H, Violation("window_closed",
                                           {"window": 48 * H, "closed_for": H})),
    # files: format and size
    (conv(), [file("photo.JPG", 9 * MB)], H, None),
    (conv(), [file("clip.mp4", 12 * MB)], H, Violation("file_too_large", {
        "name": "clip.mp4", "size": 12 * MB, "kind": "video", "max_bytes": 10 * MB})),
    (conv(), [file("note.amr", 3 * MB)], H, Violation("file_too_large", {
        "name": "note.amr", "size": 3 * MB, "kind": "voice", "max_bytes": 2 * MB})),
    (conv(), [file("photo.png"), file("quote.pdf")], H,
     Violation("file_kind", {"name": "quote.pdf", "format": "pdf"})),
    (conv(), [file("", mime="image/gif")], H, Violation("file_kind",
                                                        {"name": "gif", "format": "gif"})),
    (conv(), [file("", mime="audio/mpeg")], H, None),
])
def test_reply_violation(case: Conversation, files: list[Attachment], now: timedelta,
                         expected: Violation | None) -> None:
    assert reply_violation(WECHAT, case, files, T0 + now) == expected


@pytest.mark.parametrize("policy", [NO_POLICY, ChannelPolicy(quota=3), ChannelPolicy(window=H)])
def test_missing_limits_allow_anything_of_their_sort(policy: ChannelPolicy) -> None:
    files = [file("a.exe", 900 * MB)]
    found = reply_violation(policy, conv(streak=2), files, T0 + 30 * timedelta(minutes=1))
    assert found is None


@pytest.mark.parametrize(("attachment", "fmt"), [
    (file("a.JPEG"), "jpeg"), (file("archive.tar.gz"), "gz"), (file("", mime="video/mp4"), "mp4"),
    (file("noext", mime="audio/amr"), "amr"), (file("", mime="application/pdf"), "pdf"),
    (file("trailing."), ""),
])
def test_file_format(attachment: Attachment, fmt: str) -> None:
    assert file_format(attachment) == fmt


@pytest.mark.parametrize(("files", "cost"), [([], 1), ([file("a")], 1), ([file("a")] * 4, 4)])
def test_message_cost(files: list[Attachment], cost: int) -> None:
    assert message_cost(files) == cost


def test_window_and_quota_left() -> None:
    assert window_end(WECHAT, conv(customer=H)) == T0 + 49 * H
    assert quota_left(WECHAT, conv(streak=2)) == 3
    assert quota_left(WECHAT, conv(streak=9)) == 0
    assert window_end(NO_POLICY, conv()) is None and quota_left(NO_POLICY, conv()) is None


@pytest.mark.parametrize(("configured", "expected"), [
    ({}, {"wechat": WECHAT}),
    ({"wechat": {"quota": 20}}, {"wechat": ChannelPolicy(48 * H, 20, WECHAT.media)}),
    ({"wechat": None}, {}),
    ({"wechat": {"media": None}}, {"wechat": ChannelPolicy(48 * H, 5, None)}),
    ({"telegram": {"window": "24h"}}, {"wechat": WECHAT, "telegram": ChannelPolicy(24 * H)}),
])
def test_configured_policies_merge_over_the_defaults(configured: dict[str, Any],
                                                     expected: dict[str, ChannelPolicy]) -> None:
    policies, problems = channel_policies(BUILT_IN, configured)
    assert policies == expected and problems == []


@pytest.mark.parametrize("doc", [
    {"window": "soon"}, {"quota": 0}, {"quota": "5"}, {"quota": True}, {"colour": "red"},
    {"media": ["image"]}, {"media": {"image": {"max_mb": -1, "formats": ["png"]}}},
    {"media": {"image": {"max_mb": 1, "formats": "png"}}},
])
def test_malformed_policy_is_refused(doc: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        channel_policy(doc)


def test_a_malformed_override_keeps_the_default_and_is_reported() -> None:
    policies, problems = channel_policies(BUILT_IN,
                                          {"wechat": {"quota": -1}, "telegram": {"quota": 0}})
    assert policies == {"wechat": WECHAT}
    assert [p.split(":")[0] for p in problems] == ["telegram", "wechat"]
