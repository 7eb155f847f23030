"""Pure Block Kit builders. Text comes rendered (and escaped) from templates."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]

# Action ids are a contract with the listeners that handle the buttons.
ACCEPT, DECLINE, CREATE_LEAD = "conv_accept", "conv_decline", "lead_create"
CUSTOMER = "billing_customer"  # the Customer modal (only when a billing provider is on)


def mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not linkify channel names or parse mentions in our text
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def button(label: str, action_id: str, value: str, style: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "action_id": action_id, "value": value,
                               "text": {"type": "plain_text", "text": label}}
    if style:
        element["style"] = style
    return element


def card_blocks(*, header: str, status: str, preview: str, conversation_id: int,
                labels: dict[str, str], buttons: bool = True,
                lines: tuple[str, ...] = ()) -> list[Block]:
    """The root card of a conversation thread.

    :param header: who the customer is (rendered mrkdwn)
    :param status: status line(s) (rendered mrkdwn)
    :param preview: the first message, quoted (rendered mrkdwn)
    :param labels: button labels keyed by action id (with ``CUSTOMER``: that button too)
    :param lines: more context lines under the status (one per billing provider)
    """
    value = str(conversation_id)
    blocks: list[Block] = [
        {"type": "section", "text": mrkdwn(header)},
        {"type": "context", "elements": [mrkdwn(status)]},
    ]
    blocks += [{"type": "context", "elements": [mrkdwn(line[:3000])]} for line in lines]
    if preview:
        blocks.append({"type": "section", "text": mrkdwn(preview[:2900])})
    if buttons:
        blocks.append({"type": "actions", "block_id": f"conv:{value}", "elements": [
            button(labels[ACCEPT], ACCEPT, value, "primary"),
            button(labels[DECLINE], DECLINE, value, "danger"),
            button(labels[CREATE_LEAD], CREATE_LEAD, value),
            *([button(labels[CUSTOMER], CUSTOMER, value)] if CUSTOMER in labels else []),
        ]})
    return blocks
