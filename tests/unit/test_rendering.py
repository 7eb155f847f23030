from __future__ import annotations

import re

import pytest

from markupsafe import Markup

from bot.channels.base import OperatorReply, SharedText
from bot.channels.telegram.rendering import TELEGRAM_HTML, TelegramRendering
from bot.rendering import LANGUAGES, PLAIN_TEXT, Renderer, TextFormat, slack_escape
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


def customer_purposes() -> list[str]:
    return sorted({name.removeprefix("customer/").split(".")[0]
                   for name in Renderer().template_names() if name.startswith("customer/")})


def test_customer_texts_are_written_once_for_every_channel() -> None:
    names = Renderer().template_names()
    assert set(customer_purposes()) >= {"greeting", "accepted", "declined", "goodbye",
                                        "idle_closed", "intake_closed", "away", "out_of_hours",
                                        "operator_reply", "forwarded"}
    assert all(re.fullmatch(r"customer/\w+\.(en|fr|ja)\.j2", n)
               for n in names if n.startswith("customer/"))
    assert not [n for n in names if n.startswith("telegram/")]


@pytest.mark.parametrize("text_format", [PLAIN_TEXT, TELEGRAM_HTML], ids=["plain", "telegram"])
@pytest.mark.parametrize("purpose", customer_purposes())
def test_every_customer_text_renders_in_every_format(purpose: str,
                                                     text_format: TextFormat) -> None:
    renderer = Renderer(customer_format=text_format)
    for language in LANGUAGES:
        assert renderer.render_customer(purpose, language, SAMPLE_CONTEXT).strip()


def test_telegram_escapes_what_the_customer_text_is_given_and_marks_up_the_rest() -> None:
    telegram = TelegramRendering()
    assert telegram.render("greeting", "en", {"name": "<b>Ann</b> & co"}) == (
        "Hello, &lt;b&gt;Ann&lt;/b&gt; &amp; co! Write your question here and our team will "
        "answer you in this chat.")
    assert telegram.render("operator_reply", "fr", {"operator": "S<am>", "body": "1 < 2"}) == (
        "<b>S&lt;am&gt;</b>: 1 &lt; 2")
    assert telegram.render("forwarded", "en", {"name": "Kim & Co", "body": Markup("<b>x</b>")}
                           ) == "<i>Forwarded from Kim &amp; Co:</i>\n<b>x</b>"


def test_a_plain_text_channel_gets_the_same_words_without_markup() -> None:
    plain = Renderer(customer_format=PLAIN_TEXT)
    assert plain.render_customer("operator_reply", "en", {"operator": "Sam", "body": "1 < 2"}
                                 ) == "Sam: 1 < 2"
    assert plain.render_customer("forwarded", "ja", {"name": "Kim", "body": "x"}
                                 ) == "Kimさんからの転送メッセージ：\nx"
    assert plain.render_customer("greeting", "fr", {"name": "Ann"}).startswith("Bonjour")


def test_customer_text_falls_back_to_the_default_language() -> None:
    telegram = Renderer(customer_format=TELEGRAM_HTML, default_language="fr")
    assert telegram.render_customer("goodbye", "de", {}) == telegram.render_customer(
        "goodbye", "fr", {})


def test_telegram_renders_an_operator_reply_from_slack_markup() -> None:
    reply = OperatorReply("*Hi* <@U1> & welcome", shared=[SharedText("Kim", "_see_ <b>")],
                          operator="Sam", user_names={"U1": "Lee"})
    assert TelegramRendering().render_reply(reply, "en") == (
        "<b>Sam</b>: <b>Hi</b> @Lee &amp; welcome\n\n"
        "<i>Forwarded from Kim:</i>\n<i>see</i> &lt;b&gt;")


def test_a_reply_with_nothing_to_show_renders_empty() -> None:
    assert TelegramRendering().render_reply(OperatorReply("  ", operator="Sam"), "en") == ""
