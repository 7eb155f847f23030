"""Every human-facing text comes from a Jinja2 template under ``templates/``.

Names are ``<audience>/<purpose>.<format>.j2``. Customer texts are written once, for every
channel, as ``customer/<purpose>.<lang>.j2`` (picked by :meth:`Renderer.render_customer`):
plain words plus the filters of a :class:`TextFormat` (``strong``, ``em``), which the
channel that sends them defines, with whether its format needs escaping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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


def _unchanged(value: object) -> object:
    return value


@dataclass(frozen=True, slots=True)
class TextFormat:
    """How a channel marks up the customer texts it sends.

    :param escape: the format is markup (HTML…): customer texts are autoescaped, and a value
        the channel has already rendered must come as ``markupsafe.Markup``
    :param filters: ``strong`` and ``em`` (emphasis): value → the value, marked up
    """

    escape: bool = False
    filters: Mapping[str, Callable[[Any], object]] = field(default_factory=lambda: {
        "strong": _unchanged, "em": _unchanged})


PLAIN_TEXT = TextFormat()
CUSTOMER_FOLDER = "customer/"


class Renderer:
    def __init__(self, *, root: Path = TEMPLATES, default_language: str = "en",
                 customer_format: TextFormat = PLAIN_TEXT) -> None:
        self.default_language = default_language if default_language in LANGUAGES else "en"
        by_extension = select_autoescape(enabled_extensions=("html.j2",), default=False)

        def autoescape(name: str | None) -> bool:
            customer = (name or "").startswith(CUSTOMER_FOLDER)
            return customer_format.escape if customer else by_extension(name)

        self.env = Environment(
            loader=FileSystemLoader(root), undefined=StrictUndefined, autoescape=autoescape,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
            # templates ship with the code: no stat() of the file on every render
            auto_reload=False)
        self.env.filters["slack_escape"] = slack_escape
        self.env.filters.update(customer_format.filters)

    def language_for(self, language_code: str | None) -> str:
        """``fr-CA`` → ``fr``; an unknown language falls back to the configured default."""
        base = (language_code or "").lower().replace("_", "-").split("-")[0]
        return base if base in LANGUAGES else self.default_language

    def render(self, template: str, /, **context: Any) -> str:
        """:param template: name without ``.j2``, e.g. ``slack/delivery_failed.mrkdwn``"""
        return self.env.get_template(f"{template}.j2").render(**context).strip()

    def render_customer(self, purpose: str, language: str | None,
                        context: Mapping[str, Any]) -> str:
        """A customer text (``customer/<purpose>.<lang>.j2``) in the customer's language."""
        lang = self.language_for(language)
        return self.render(f"{CUSTOMER_FOLDER}{purpose}.{lang}", **{**context, "lang": lang})

    def template_names(self) -> list[str]:
        return sorted(self.env.list_templates(filter_func=lambda n: n.endswith(".j2")))
