"""The pure rules behind lead creation: who owns it, which status and source, which details,
and how ``!lead key=value …`` is read. No I/O here; :mod:`bot.leads` applies them."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from bot.formatting import slack_to_plain_text, slack_unescape
from bot.models import Customer, Lead, LeadRequest, Message
from bot.rendering import Renderer

REQUEST_KEYS = tuple(f.name for f in fields(LeadRequest))
DETAILS = ("first_name", "last_name", "username", "email", "phone", "company", "description")
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# Slack clients may turn typed quotes into typographic ones; shlex only knows ASCII ones.
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


@dataclass(frozen=True, slots=True)
class OwnerRules:
    """The lead preferences that decide an owner (see :mod:`bot.preferences`)."""

    default_owner: str = ""
    default_pool: str = ""
    operators_are_crm_users: bool = True
    operators_may_assign_any_owner: bool = True
    first_manager: str = ""


@dataclass(frozen=True, slots=True)
class OwnerChoice:
    """A person (``owner``) or the pool whose round-robin turn picks one (``pool``)."""

    owner: str = ""
    pool: str = ""


OWNER_FORBIDDEN = "owner_forbidden"
POOL_FORBIDDEN = "pool_forbidden"


def default_owner(rules: OwnerRules, user: str) -> OwnerChoice:
    """Who owns a lead when the operator names nobody."""
    if rules.default_owner:
        return OwnerChoice(owner=rules.default_owner)
    if rules.default_pool:
        return OwnerChoice(pool=rules.default_pool)
    if rules.operators_are_crm_users:
        return OwnerChoice(owner=user)
    return OwnerChoice(owner=rules.first_manager or user)


def resolve_owner(owner: str, pool: str, *, user: str, is_manager: bool,
                  rules: OwnerRules) -> OwnerChoice | str:
    """:return: the choice, or :data:`OWNER_FORBIDDEN` / :data:`POOL_FORBIDDEN` when
        ``operators_may_assign_any_owner`` is off and a non-manager asked for more than
        the default or themselves"""
    fallback = default_owner(rules, user)
    free = rules.operators_may_assign_any_owner or is_manager
    if owner:
        allowed = free or owner in (user, fallback.owner)
        return OwnerChoice(owner=owner) if allowed else OWNER_FORBIDDEN
    if pool:
        return OwnerChoice(pool=pool) if free or pool == fallback.pool else POOL_FORBIDDEN
    return fallback


def match_choice(value: str, choices: Sequence[str]) -> str | None:
    """Case-insensitive pick from a managed list. :return: the list's spelling, or None"""
    wanted = value.strip().casefold()
    return next((c for c in choices if c.casefold() == wanted), None)


def resolve_status(value: str, statuses: Sequence[str], default: str) -> str | None:
    return match_choice(value, statuses) if value.strip() else default


def resolve_source(value: str, sources: Sequence[str], by_channel: Mapping[str, str],
                   channel: str) -> str | None:
    if value.strip():
        return match_choice(value, sources)
    return by_channel.get(channel) or channel.replace("_", " ").title()


def split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first, last.strip()


def lead_details(request: LeadRequest, customer: Customer | None,
                 channel: str) -> dict[str, str]:
    """The person's details: what the operator typed, else what the customer told us."""
    def known(attr: str) -> str:
        return str(getattr(customer, attr)) if customer is not None else ""

    first, last = split_name(known("name"))
    if request.first_name or request.last_name:
        first, last = request.first_name, request.last_name
    return {"first_name": first, "last_name": last,
            "username": request.username or known("username"),
            "email": request.email or known("email"), "phone": request.phone or known("phone"),
            "company": request.company, "description": request.description,
            "language": known("language"), "channel": channel}


def is_empty(request: LeadRequest) -> bool:
    return not any(getattr(request, key) for key in REQUEST_KEYS)


def lead_context(lead: Lead) -> dict[str, Any]:
    return {"id": lead.id, "owner": lead.owner, "status": lead.status, "source": lead.source}


def message_context(msg: Message) -> dict[str, Any]:
    return {"at": msg.created_at.isoformat(), "direction": str(msg.direction),
            "author": msg.author, "text": msg.text,
            "attachments": [a.kind for a in msg.attachments]}


def already_recorded(activity: Sequence[Mapping[str, Any]], message_id: int) -> bool:
    for entry in activity:
        if entry.get("kind") == "transcript" and message_id <= entry.get("last_message_id", 0):
            return True
        if entry.get("kind") == "message" and entry.get("message_id") == message_id:
            return True
    return False


def request_from(lead: Lead) -> LeadRequest:
    return LeadRequest(owner=lead.owner, status=lead.status, source=lead.source,
                       **{k: getattr(lead, k) for k in DETAILS})


def shown(value: object) -> str:
    return ", ".join(value) if isinstance(value, tuple) else str(value)


# -- !lead arguments ---------------------------------------------------------------------


@cache
def _default_renderer() -> Renderer:
    return Renderer()


def parse_lead_args(text: str, renderer: Renderer | None = None) -> LeadRequest | str:
    """Read ``owner=<@U1> status=Qualified source="Google Ads" …`` (``!lead`` optional).

    :return: the request, or the rendered problem with the usage line
    """
    values = _pairs(text)
    if isinstance(values, tuple):
        problem, detail = values
        return (renderer or _default_renderer()).render(
            "slack/lead_usage.mrkdwn", problem=problem, detail=detail)
    return LeadRequest(**values)


def _pairs(text: str) -> dict[str, str] | tuple[str, str]:
    """:return: the key/value pairs, or (problem code, detail)"""
    try:
        tokens = shlex.split(text.translate(_QUOTES))
    except ValueError:
        return "quotes", text
    if tokens and tokens[0].lower() == "!lead":
        tokens = tokens[1:]
    values: dict[str, str] = {}
    for token in tokens:
        problem = _add_pair(values, token)
        if problem is not None:
            return problem
    if values.get("owner") and values.get("pool"):
        return "owner_and_pool", ""
    return values


def _add_pair(values: dict[str, str], token: str) -> tuple[str, str] | None:
    key, sep, raw = token.partition("=")
    key = key.strip().lower()
    # the owner stays a Slack mention (<@U…>); any other value is what the operator typed,
    # which Slack may have linked (an email arrives as <mailto:a@b.c|a@b.c>)
    value = (slack_unescape(raw) if key == "owner" else slack_to_plain_text(raw)).strip()
    if not sep or not key:
        return "not_pair", token
    if key not in REQUEST_KEYS:
        return "unknown_key", key
    if key in values:
        return "twice", key
    if not value:
        return "empty", key
    if key == "owner":
        if (user_id := owner_id(value)) is None:
            return "owner", value
        value = user_id
    values[key] = value
    return None


def owner_id(value: str) -> str | None:
    """``<@U123>``, ``<@U123|ann>`` or ``U123`` → ``U123``; anything else → None."""
    if match := _MENTION.match(value):
        return match.group(1)
    return value if _USER_ID.match(value) else None

