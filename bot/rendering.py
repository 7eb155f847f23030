"""Every human-facing text comes from a Jinja2 template under ``templates/``.

Names are ``<audience>/<purpose>.<format>.j2``; customer-facing ones add a language:
``<audience>/<purpose>.<lang>.<format>.j2``, picked by :meth:`Renderer.render_for`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape


def templates_root() -> Path:
    """``bot/templates`` in an installed copy (the wheel maps ``templates/`` there), else the
    checkout's top-level ``templates/``."""
    installed = Path(str(files("bot").joinpath("templates")))
    checkout = Path(__file__).resolve().parent.parent / "templates"
    return installed if installed.is_dir() else checkout


TEMPLATES = templates_root()
LANGUAGES = ("en", "fr", "ja")


def slack_escape(text: object) -> str:
    """Make text inert in Slack mrkdwn: no mention, link or channel ping survives."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Renderer:
    def __init__(self, *, root: Path = TEMPLATES, default_language: str = "en") -> None:
        self.default_language = default_language if default_language in LANGUAGES else "en"
        self.env = Environment(
            loader=FileSystemLoader(root), undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
            # templates ship with the code: no stat() of the file on every render
            auto_reload=False)
        self.env.filters["slack_escape"] = slack_escape

    def language_for(self, language_code: str | None) -> str:
        """``fr-CA`` → ``fr``; an unknown language falls back to the configured default."""
        base = (language_code or "").lower().replace("_", "-").split("-")[0]
        return base if base in LANGUAGES else self.default_language

    def render(self, template: str, /, **context: Any) -> str:
        """:param template: name without ``.j2``, e.g. ``slack/delivery_failed.mrkdwn``"""
        return self.env.get_template(f"{template}.j2").render(**context).strip()

    def render_for(self, template: str, language: str | None, /, **context: Any) -> str:
        """Render a customer-facing template in the customer's language.

        :param template: ``<audience>/<purpose>.<format>``, e.g. ``telegram/greeting.html``
        """
        folder_purpose, fmt = template.rsplit(".", 1)
        lang = self.language_for(language)
        return self.render(f"{folder_purpose}.{lang}.{fmt}", lang=lang, **context)

    def template_names(self) -> list[str]:
        return sorted(self.env.list_templates(filter_func=lambda n: n.endswith(".j2")))
