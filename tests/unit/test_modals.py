"""Modal builders and submission parsers, as plain dicts."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.models import CardRef, LeadForm, LeadRequest
from bot.rendering import Renderer
from bot.slack.interactions import card_from_metadata
from bot.slack.modals import (
    decline_modal,
    decline_texts,
    lead_errors,
    lead_modal,
    lead_texts,
    parse_decline,
    parse_lead,
    parse_texts,
)

RENDERER = Renderer()
FULL = LeadRequest(owner="U7", pool="emea", status="new", source="telegram",
                   first_name="Ann", last_name="Lee", username="ann", email="ann@example.com",
                   phone="+33 1 23", company="Acme", description="Wants a quote")


def form(**overrides: Any) -> LeadForm:
    fields: dict[str, Any] = {
        "conversation_id": 7, "prefill": FULL, "language": "fr", "channel": "telegram",
        "statuses": ("new", "qualified"), "sources": ("telegram", "referral"),
        "pools": ("emea", "apac"), **overrides}
    return LeadForm(**fields)


CARD = CardRef(7, "C1", "1700000000.000100")


def build_lead(lead_form: LeadForm) -> dict[str, Any]:
    return lead_modal(lead_form, CARD, lead_texts(RENDERER, lead_form))


def blocks_by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if "block_id" in b}


def assert_slack_accepts(view: dict[str, Any]) -> None:
    """slack_sdk's models check Slack's documented limits and round-trip every field."""
    model = View(**view)
    model.validate_json()
    assert model.to_dict() == view


def submitted(values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"type": "modal", "private_metadata": "7",
            "state": {"values": {block: {"value": el} for block, el in values.items()}}}


# -- texts ----------------------------------------------------------------------------------------


def test_parse_texts_reads_key_lines_and_keeps_later_colons() -> None:
    assert parse_texts("title: Hi\n\nnoise\ncontext: Language: fr") == {
        "title": "Hi", "context": "Language: fr"}


def test_texts_from_templates_fit_slack_limits() -> None:
    texts = {**decline_texts(RENDERER), **lead_texts(RENDERER, form(existing_lead_id=42))}
    for key in ("title", "submit", "cancel", "done", "exists_title"):
        assert 0 < len(texts[key]) <= 24, key
    assert all(0 < len(t) <= 2000 for t in texts.values())


# -- decline --------------------------------------------------------------------------------------


def test_decline_modal_shape() -> None:
    view = decline_modal(CardRef(42, "C1", "1700000000.000100"), decline_texts(RENDERER))
    assert_slack_accepts(view)
    assert view["callback_id"] == "conv_decline_modal"
    assert card_from_metadata(view["private_metadata"]) == CardRef(42, "C1", "1700000000.000100")
    assert view["title"]["text"] == "Decline conversation" and "submit" in view
    reason, notify = blocks_by_id(view)["reason"], blocks_by_id(view)["notify"]
    assert reason["optional"] is True and reason["label"]["text"] == "Reason"
    assert reason["element"] == {"type": "plain_text_input", "action_id": "value",
                                 "multiline": True, "max_length": 500}
    assert notify["element"]["type"] == "checkboxes"
    assert notify["element"]["action_id"] == "value"
    assert len(notify["element"]["options"]) == 1
    assert notify["element"]["initial_options"] == notify["element"]["options"]


def test_decline_modal_clips_a_long_title() -> None:
    view = decline_modal(CARD, {**decline_texts(RENDERER), "title": "x" * 40})
    assert view["title"]["text"] == "x" * 24
    assert_slack_accepts(view)


@pytest.mark.parametrize(("values", "expected"), [
    ({"reason": {"type": "plain_text_input", "value": "  spam  "},
      "notify": {"type": "checkboxes", "selected_options": [{"value": "notify"}]}},
     ("spam", True)),
    ({"reason": {"type": "plain_text_input", "value": None},
      "notify": {"type": "checkboxes", "selected_options": [{"value": "notify"}]}},
     ("", True)),
    ({"reason": {"type": "plain_text_input", "value": "out of area"},
      "notify": {"type": "checkboxes", "selected_options": []}},
     ("out of area", False)),
    ({}, ("", False)),
], ids=["reason-notify", "no-reason", "unticked", "empty-state"])
def test_parse_decline(values: dict[str, dict[str, Any]], expected: tuple[str, bool]) -> None:
    assert parse_decline(submitted(values)) == expected


def test_parse_decline_tolerates_a_view_without_state() -> None:
    assert parse_decline({"type": "modal"}) == ("", False)


# -- lead -----------------------------------------------------------------------------------------


def test_lead_modal_is_prefilled() -> None:
    view = build_lead(form())
    assert_slack_accepts(view)
    assert view["callback_id"] == "lead_create_modal"
    assert card_from_metadata(view["private_metadata"]) == CARD
    blocks = blocks_by_id(view)
    assert list(blocks) == ["first_name", "last_name", "username", "phone", "email", "company",
                            "description", "owner", "pool", "status", "source"]
    assert all(b["optional"] is True and b["element"]["action_id"] == "value"
               for b in blocks.values())
    assert blocks["first_name"]["element"]["initial_value"] == "Ann"
    assert blocks["description"]["element"]["multiline"] is True
    assert blocks["owner"]["element"] == {"type": "users_select", "action_id": "value",
                                          "initial_user": "U7"}
    assert blocks["status"]["element"]["initial_option"] == {
        "text": {"type": "plain_text", "text": "new"}, "value": "new"}
    assert [o["value"] for o in blocks["source"]["element"]["options"]] == [
        "telegram", "referral"]
    assert blocks["source"]["element"]["initial_option"]["value"] == "telegram"
    assert blocks["pool"]["element"]["initial_option"]["value"] == "emea"


def test_lead_modal_shows_language_and_channel() -> None:
    context = build_lead(form())["blocks"][-1]
    assert context["type"] == "context"
    assert "fr" in context["elements"][0]["text"] and "Telegram" in context["elements"][0]["text"]


def test_empty_prefill_sets_no_initial_values() -> None:
    view = build_lead(form(prefill=LeadRequest(), pools=()))
    assert_slack_accepts(view)
    blocks = blocks_by_id(view)
    assert "pool" not in blocks
    for block in blocks.values():
        assert not {"initial_value", "initial_user", "initial_option"} & block["element"].keys()


def test_initial_option_only_when_it_is_one_of_the_options() -> None:
    view = build_lead(form(prefill=LeadRequest(status="gone", source="")))
    blocks = blocks_by_id(view)
    assert "initial_option" not in blocks["status"]["element"]
    assert "initial_option" not in blocks["source"]["element"]


def test_unusable_choices_are_dropped() -> None:
    view = build_lead(form(statuses=("new", "new", "", "x" * 151), sources=("",)))
    blocks = blocks_by_id(view)
    assert [o["value"] for o in blocks["status"]["element"]["options"]] == ["new"]
    assert "source" not in blocks
    assert_slack_accepts(view)


def test_existing_lead_gives_a_notice_without_a_form() -> None:
    view = build_lead(form(existing_lead_id=42))
    assert_slack_accepts(view)
    assert "submit" not in view and card_from_metadata(view["private_metadata"]) == CARD
    assert [b["type"] for b in view["blocks"]] == ["section"]
    assert "Lead #42" in view["blocks"][0]["text"]["text"]


def test_parse_lead_reads_every_kind_of_element() -> None:
    view = submitted({
        "first_name": {"type": "plain_text_input", "value": "Ann"},
        "last_name": {"type": "plain_text_input", "value": None},
        "email": {"type": "plain_text_input", "value": " ann@example.com "},
        "description": {"type": "plain_text_input", "value": "line 1\nline 2"},
        "owner": {"type": "users_select", "selected_user": "U9"},
        "pool": {"type": "static_select", "selected_option": None},
        "status": {"type": "static_select",
                   "selected_option": {"text": {"type": "plain_text", "text": "won"},
                                       "value": "won"}},
    })
    assert parse_lead(view) == LeadRequest(first_name="Ann", email="ann@example.com",
                                           description="line 1\nline 2", owner="U9",
                                           status="won")


def test_parse_lead_of_an_empty_state_is_an_empty_request() -> None:
    assert parse_lead({"state": {"values": {}}}) == LeadRequest()


@pytest.mark.parametrize(("email", "invalid"), [
    ("", False), ("ann@example.com", False), ("ann.example.com", True)])
def test_lead_errors(email: str, invalid: bool) -> None:
    errors = lead_errors(LeadRequest(email=email), "bad email")
    assert errors == ({"email": "bad email"} if invalid else {})
