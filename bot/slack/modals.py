"""Modals opened from a conversation's root card: pure builders and submission parsers.

Texts come from ``templates/slack/*_modal.txt.j2``, one ``key: text`` per line, so the
builders take a ``Mapping[str, str]`` and stay pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.models import CardRef, LeadForm, LeadRequest
from bot.rendering import Renderer
from bot.slack.blocks import Block
from bot.slack.interactions import card_metadata

View = dict[str, Any]

# Callback ids are a contract with the listeners that handle the submissions.
DECLINE_MODAL, LEAD_MODAL = "conv_decline_modal", "lead_create_modal"
NOTIFY = "notify"
# Slack's limits (Block Kit reference): longer texts make views.open fail.
TITLE_MAX, LABEL_MAX, HINT_MAX, INPUT_MAX = 24, 2000, 2000, 3000
OPTION_TEXT_MAX, OPTION_VALUE_MAX, OPTIONS_MAX = 75, 150, 100
REASON_MAX = 500
TEXT_FIELDS = ("first_name", "last_name", "username", "phone", "email", "company")


# -- texts --------------------------------------------------------------------------------------


def parse_texts(rendered: str) -> dict[str, str]:
    """``key: text`` lines → ``{key: text}``; other lines are ignored."""
    pairs = (line.partition(":") for line in rendered.splitlines())
    return {key.strip(): text.strip() for key, sep, text in pairs if sep and key.strip()}


def decline_texts(renderer: Renderer) -> dict[str, str]:
    return parse_texts(renderer.render("slack/decline_modal.txt"))


def lead_texts(renderer: Renderer, form: LeadForm) -> dict[str, str]:
    channel_label = renderer.render("slack/channel_label.txt", channel=form.channel)
    # One line each: the texts are read line by line.
    return parse_texts(renderer.render(
        "slack/lead_modal.txt", language=" ".join(form.language.split()),
        channel_label=" ".join(channel_label.split()), lead_id=form.existing_lead_id or 0))


# -- builders -----------------------------------------------------------------------------------


def plain(text: str, limit: int = LABEL_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit]}


def modal(callback_id: str, card: CardRef, title: str, blocks: list[Block], *,
          close: str, submit: str = "") -> View:
    """:param card: the card the modal was opened from, checked again on submission"""
    view: View = {"type": "modal", "callback_id": callback_id,
                  "private_metadata": card_metadata(card), "title": plain(title, TITLE_MAX),
                  "close": plain(close, TITLE_MAX), "blocks": blocks}
    if submit:
        view["submit"] = plain(submit, TITLE_MAX)
    return view


def input_block(block_id: str, label: str, element: dict[str, Any], *,
                hint: str = "") -> Block:
    block: Block = {"type": "input", "block_id": block_id, "optional": True,
                    "label": plain(label), "element": {**element, "action_id": "value"}}
    if hint:
        block["hint"] = plain(hint, HINT_MAX)
    return block


def text_input(initial: str = "", *, multiline: bool = False,
               max_length: int = 0) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline}
    if max_length:
        element["max_length"] = max_length
    if initial:  # Slack rejects an empty initial_value
        element["initial_value"] = initial[:max_length or INPUT_MAX]
    return element


def option(value: str) -> dict[str, Any]:
    return {"text": plain(value, OPTION_TEXT_MAX), "value": value}


def choices(values: Sequence[str]) -> list[str]:
    """The values Slack accepts as options: unique, non-empty, short enough."""
    usable = [v for v in dict.fromkeys(values) if 0 < len(v) <= OPTION_VALUE_MAX]
    return usable[:OPTIONS_MAX]


def static_select(values: Sequence[str], initial: str = "") -> dict[str, Any]:
    shown = choices(values)
    element: dict[str, Any] = {"type": "static_select", "options": [option(v) for v in shown]}
    # initial_option must equal one of the options, or views.open fails
    if initial in shown:
        element["initial_option"] = option(initial)
    return element


def users_select(initial: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {"type": "users_select"}
    if initial:
        element["initial_user"] = initial
    return element


def decline_modal(card: CardRef, texts: Mapping[str, str]) -> View:
    notify: dict[str, Any] = {"text": plain(texts["notify_option"], OPTION_TEXT_MAX),
                              "value": NOTIFY}
    blocks = [
        input_block("reason", texts["reason"],
                    text_input(multiline=True, max_length=REASON_MAX), hint=texts["reason_hint"]),
        input_block("notify", texts["notify"],
                    {"type": "checkboxes", "options": [notify], "initial_options": [notify]}),
    ]
    return modal(DECLINE_MODAL, card, texts["title"], blocks,
                 close=texts["cancel"], submit=texts["submit"])


def lead_modal(form: LeadForm, card: CardRef, texts: Mapping[str, str]) -> View:
    if form.existing_lead_id is not None:
        blocks: list[Block] = [{"type": "section", "text": plain(texts["exists"])}]
        return modal(LEAD_MODAL, card, texts["exists_title"], blocks, close=texts["done"])
    return modal(LEAD_MODAL, card, texts["title"], lead_blocks(form, texts),
                 close=texts["cancel"], submit=texts["submit"])


def lead_blocks(form: LeadForm, texts: Mapping[str, str]) -> list[Block]:
    prefill = form.prefill
    blocks = [input_block(name, texts[name], text_input(getattr(prefill, name)))
              for name in TEXT_FIELDS]
    blocks.append(input_block("description", texts["description"],
                              text_input(prefill.description, multiline=True)))
    blocks.append(input_block("owner", texts["owner"], users_select(prefill.owner)))
    selects = (("pool", form.pools, prefill.pool), ("status", form.statuses, prefill.status),
               ("source", form.sources, prefill.source))
    # Slack rejects a select without options, so an empty choice has no block.
    blocks += [input_block(name, texts[name], static_select(values, initial))
               for name, values, initial in selects if choices(values)]
    blocks.append({"type": "context", "elements": [plain(texts["context"])]})
    return blocks


# -- submissions --------------------------------------------------------------------------------


def _values(view: Mapping[str, Any]) -> Mapping[str, Any]:
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    return values if isinstance(values, Mapping) else {}


def _field(values: Mapping[str, Any], block_id: str) -> Mapping[str, Any]:
    block = values.get(block_id)
    element = block.get("value") if isinstance(block, Mapping) else None
    return element if isinstance(element, Mapping) else {}


def _text(values: Mapping[str, Any], block_id: str) -> str:
    element = _field(values, block_id)
    found = element.get("value") or element.get("selected_user")
    if found is None and isinstance(element.get("selected_option"), Mapping):
        found = element["selected_option"].get("value")
    return found.strip() if isinstance(found, str) else ""


def parse_decline(view: Mapping[str, Any]) -> tuple[str, bool]:
    """:param view: the submitted view (``body["view"]``)
    :return: the reason (``""`` when none) and whether to tell the customer"""
    values = _values(view)
    selected = _field(values, "notify").get("selected_options") or []
    notify = any(isinstance(o, Mapping) and o.get("value") == NOTIFY for o in selected)
    return _text(values, "reason"), notify


def parse_lead(view: Mapping[str, Any]) -> LeadRequest:
    """:param view: the submitted view (``body["view"]``); a field left empty is ``""``"""
    values = _values(view)
    fields = (*TEXT_FIELDS, "description", "owner", "pool", "status", "source")
    return LeadRequest(**{name: _text(values, name) for name in fields})


def lead_errors(request: LeadRequest, invalid_email: str) -> dict[str, str]:
    """Errors by block id for ``ack(response_action="errors")``; empty when valid."""
    if request.email and "@" not in request.email:
        return {"email": invalid_email}
    return {}
