"""Neutral outbound texts → Telegram's HTML subset (sent with ``parse_mode=HTML``).

Customer texts are autoescaped, so a customer's name or an away message never runs as
markup; the pieces this module has already converted (an operator's reply) go in as
``Markup``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from bot.channels.base import OperatorReply
from bot.channels.telegram.mrkdwn import slack_to_telegram_html
from bot.channels.telegram.rich_text import rich_text_html
from bot.rendering import Renderer, TextFormat


def _strong(value: object) -> Markup:
    return Markup("<b>{}</b>").format(value)


def _em(value: object) -> Markup:
    return Markup("<i>{}</i>").format(value)


TELEGRAM_HTML = TextFormat(escape=True, filters={"strong": _strong, "em": _em})


class TelegramRendering:
    """Renders what the core sends a Telegram customer."""

    def __init__(self, *, renderer: Renderer | None = None) -> None:
        self.renderer = renderer or Renderer(customer_format=TELEGRAM_HTML)

    def render(self, purpose: str, language: str, context: Mapping[str, Any]) -> str:
        return self.renderer.render_customer(purpose, language, context)

    def render_reply(self, reply: OperatorReply, language: str) -> str:
        body = self._reply_body(reply, language)
        if not body:
            return ""
        return self.render("operator_reply", language,
                           {"operator": reply.operator, "body": Markup(body)})

    def _reply_body(self, reply: OperatorReply, language: str) -> str:
        names = reply.user_names
        own = rich_text_html(reply.rich_text, user_names=names) if reply.rich_text else ""
        parts = [own or (slack_to_telegram_html(reply.text, user_names=names)
                         if reply.text.strip() else "")]
        parts += [self.render("forwarded", language, {
            "name": share.name,
            "body": Markup(slack_to_telegram_html(share.text, user_names=names))})
            for share in reply.shared if share.text.strip()]
        return "\n\n".join(part for part in parts if part.strip())
