from __future__ import annotations

import re

import pytest

from bot.rendering import LANGUAGES, Renderer, slack_escape
from tests.support.template_samples import SAMPLE_CONTEXT


def test_slack_escape_makes_mentions_inert() -> None:
    assert slack_escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


@pytest.mark.parametrize(("code", "expected"), [
    ("fr", "fr"), ("fr-CA", "fr"), ("ja", "ja"), ("JA_jp", "ja"), ("de", "en"), ("", "en"),
    (None, "en")])
def test_language_lookup(code: str | None, expected: str) -> None:
    assert Renderer().language_for(code) == expected


def test_unknown_language_falls_back_to_configured_default() -> None:
    assert Renderer(default_language="fr").language_for("de") == "fr"


def test_every_template_renders_with_sample_context() -> None:
    renderer = Renderer()
    names = renderer.template_names()
    assert names, "no templates found"
    for name in names:
        text = renderer.render(name.removesuffix(".j2"), **SAMPLE_CONTEXT)
        assert text.strip(), f"{name} rendered empty"


def test_customer_templates_exist_in_every_language() -> None:
    names = Renderer().template_names()
    localized = {re.sub(r"\.(en|fr|ja)\.", ".{lang}.", n) for n in names
                 if re.search(r"\.(en|fr|ja)\.", n)}
    for pattern in localized:
        for lang in LANGUAGES:
            assert pattern.format(lang=lang) in names, f"missing {pattern.format(lang=lang)}"
