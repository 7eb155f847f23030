"""Rules of platforms the desk knows before their channel package exists.

WeChat takes a business's messages only within 48 h of the customer's last message, at most
5 per customer message, and only some file formats and sizes (platform-facts 3.7-3.8).
The desk applies them to WeChat conversations already (``bot.channels.capabilities_by_kind``);
the WeChat package, when it arrives, takes :data:`WECHAT` as its capabilities and drops its
line from :data:`RULES_WITHOUT_PACKAGE`.
"""

from __future__ import annotations

from datetime import timedelta

from bot.channels.base import MB, Capabilities, FileRule

WECHAT = Capabilities(
    text_format="plain", edits=False, deletes=False,
    max_upload=10 * MB, max_download=10 * MB,
    file_rules=(FileRule("image", 10 * MB, ("jpeg", "jpg", "png")),
                FileRule("voice", 2 * MB, ("amr", "mp3")),
                FileRule("video", 10 * MB, ("mp4",))),
    reply_window=timedelta(hours=48), reply_quota=5)

RULES_WITHOUT_PACKAGE: dict[str, Capabilities] = {"wechat": WECHAT}
