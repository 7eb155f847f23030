"""The pure lead rules: owner, status and source resolution, details, ``!lead`` arguments."""

from __future__ import annotations

import pytest

from bot.lead_rules import (
    OWNER_FORBIDDEN,
    POOL_FORBIDDEN,
    OwnerChoice,
    OwnerRules,
    already_recorded,
    lead_details,
    match_choice,
    owner_id,
    resolve_source,
    resolve_status,
)
from bot.leads import parse_lead_args, resolve_owner
from bot.models import ConversationKey, Customer, LeadRequest

OPEN = OwnerRules()
LOCKED = OwnerRules(operators_may_assign_any_owner=False)
P = OwnerChoice  # a short name keeps the table readable


@pytest.mark.parametrize(("owner", "pool", "manager", "rules", "expected"), [
    # explicit choices win
    ("U2", "", False, OPEN, P(owner="U2")),
    ("", "sales", False, OPEN, P(pool="sales")),
    ("U2", "", False, OwnerRules(default_owner="U9"), P(owner="U2")),
    # nothing given: default owner, else default pool, else the creator, else a manager
    ("", "", False, OwnerRules(default_owner="U9", default_pool="sales"), P(owner="U9")),
    ("", "", False, OwnerRules(default_pool="sales"), P(pool="sales")),
    ("", "", False, OwnerRules(first_manager="M1"), P(owner="U1")),
    ("", "", False, OwnerRules(operators_are_crm_users=False, first_manager="M1"),
     P(owner="M1")),
    ("", "", False, OwnerRules(operators_are_crm_users=False), P(owner="U1")),
    # locked: a non-manager may take the default or the lead themselves, nothing else
    ("U2", "", False, LOCKED, OWNER_FORBIDDEN),
    ("U1", "", False, LOCKED, P(owner="U1")),
    ("U9", "", False, OwnerRules(default_owner="U9", operators_may_assign_any_owner=False),
     P(owner="U9")),
    ("M1", "", False, OwnerRules(operators_are_crm_users=False, first_manager="M1",
                                 operators_may_assign_any_owner=False), P(owner="M1")),
    ("", "sales", False, LOCKED, POOL_FORBIDDEN),
    ("", "sales", False, OwnerRules(default_pool="sales", operators_may_assign_any_owner=False),
     P(pool="sales")),
    ("", "vip", False, OwnerRules(default_pool="sales", operators_may_assign_any_owner=False),
     POOL_FORBIDDEN),
    ("", "", False, OwnerRules(default_pool="sales", operators_may_assign_any_owner=False),
     P(pool="sales")),
    # managers are never locked
    ("U2", "", True, LOCKED, P(owner="U2")),
    ("", "vip", True, LOCKED, P(pool="vip")),
])
def test_resolve_owner(owner: str, pool: str, manager: bool, rules: OwnerRules,
                       expected: OwnerChoice | str) -> None:
    assert resolve_owner(owner, pool, user="U1", is_manager=manager, rules=rules) == expected


STATUSES = ("New", "Contacted", "Qualified")


@pytest.mark.parametrize(("value", "expected"), [
    ("", "New"), ("  ", "New"), ("qualified", "Qualified"), ("QUALIFIED", "Qualified"),
    (" Contacted ", "Contacted"), ("Hot", None), ("Qualif", None)])
def test_resolve_status(value: str, expected: str | None) -> None:
    assert resolve_status(value, STATUSES, "New") == expected


SOURCES = ("Telegram", "Google Ads", "Web chat")
BY_CHANNEL = {"telegram": "Telegram", "webchat": "Web chat"}


@pytest.mark.parametrize(("value", "channel", "expected"), [
    ("", "telegram", "Telegram"), ("", "webchat", "Web chat"), ("", "viber", "Viber"),
    ("", "line_app", "Line App"), ("google ads", "telegram", "Google Ads"),
    ("Fax", "telegram", None)])
def test_resolve_source(value: str, channel: str, expected: str | None) -> None:
    assert resolve_source(value, SOURCES, BY_CHANNEL, channel) == expected


def test_match_choice_keeps_the_list_spelling() -> None:
    assert match_choice("web CHAT", SOURCES) == "Web chat"
    assert match_choice("", SOURCES) is None


CUSTOMER = Customer(ConversationKey("telegram", "42"), name="Ann Marie Lee", username="ann",
                    language="fr", phone="+331", email="ann@example.com")


@pytest.mark.parametrize(("request_", "customer", "expected"), [
    (LeadRequest(), CUSTOMER,
     {"first_name": "Ann", "last_name": "Marie Lee", "username": "ann", "phone": "+331",
      "email": "ann@example.com", "language": "fr"}),
    (LeadRequest(first_name="Bo", email="bo@example.com"), CUSTOMER,
     {"first_name": "Bo", "last_name": "", "email": "bo@example.com", "phone": "+331"}),
    (LeadRequest(company="Acme", description="wants a quote"), None,
     {"first_name": "", "last_name": "", "company": "Acme", "description": "wants a quote",
      "language": ""}),
    (LeadRequest(), Customer(ConversationKey("telegram", "1"), name="Cher"),
     {"first_name": "Cher", "last_name": ""}),
])
def test_lead_details(request_: LeadRequest, customer: Customer | None,
                      expected: dict[str, str]) -> None:
    details = lead_details(request_, customer, "telegram")
    assert details["channel"] == "telegram"
    assert {k: details[k] for k in expected} == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("", LeadRequest()),
    ("!lead", LeadRequest()),
    ("owner=<@U123>", LeadRequest(owner="U123")),
    ("owner=<@U123|ann>", LeadRequest(owner="U123")),
    ("owner=U123 status=Qualified", LeadRequest(owner="U123", status="Qualified")),
    ("!lead pool=sales status=qualified", LeadRequest(pool="sales", status="qualified")),
    ('source="Google Ads" description="wants a quote, soon"',
     LeadRequest(source="Google Ads", description="wants a quote, soon")),
    ("source='Google Ads'", LeadRequest(source="Google Ads")),
    ("source=“Google Ads”", LeadRequest(source="Google Ads")),
    ("email=a@b.c phone=+331", LeadRequest(email="a@b.c", phone="+331")),
    ('description="Q&amp;A &lt;urgent&gt;"', LeadRequest(description="Q&A <urgent>")),
    ("STATUS=New", LeadRequest(status="New")),
])
def test_parse_lead_args(text: str, expected: LeadRequest) -> None:
    assert parse_lead_args(text) == expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("colour=red", "`colour` is not something a lead has"),
    ("status", "should look like `key=value`"),
    ('description="unclosed', "a quote is not closed"),
    ("owner=<@U1> pool=sales", "an owner or a pool, not both"),
    ("owner=@ann", "is not a Slack user"),
    ("owner=ann", "is not a Slack user"),
    ("status=New status=Qualified", "`status` is given twice"),
    ("status=", "`status=` needs a value"),
    ("=x", "should look like `key=value`"),
])
def test_parse_lead_args_problems_come_with_usage(text: str, fragment: str) -> None:
    problem = parse_lead_args(text)
    assert isinstance(problem, str)
    assert fragment in problem and "Usage: `!lead" in problem


def test_parse_problem_escapes_what_was_typed() -> None:
    problem = parse_lead_args("<!channel>=1")
    assert isinstance(problem, str) and "<!channel>" not in problem


@pytest.mark.parametrize(("value", "expected"), [
    ("<@U1AB>", "U1AB"), ("<@W1AB|x y>", "W1AB"), ("U1AB", "U1AB"), ("<#C1>", None),
    ("u1ab", None), ("<@U1AB", None)])
def test_owner_id(value: str, expected: str | None) -> None:
    assert owner_id(value) == expected


@pytest.mark.parametrize(("message_id", "expected"), [(3, True), (5, True), (6, True), (7, False)])
def test_already_recorded(message_id: int, expected: bool) -> None:
    activity = [{"kind": "transcript", "last_message_id": 5},
                {"kind": "message", "message_id": 6}, {"kind": "note", "text": "x"}]
    assert already_recorded(activity, message_id) is expected


def test_values_slack_linked_are_read_as_typed() -> None:
    request = parse_lead_args("email=<mailto:ann@example.com|ann@example.com> "
                              "phone=<tel:+33612345678|+33612345678> company=B&amp;B")
    assert isinstance(request, LeadRequest)
    assert (request.email, request.phone, request.company) == (
        "ann@example.com", "+33612345678", "B&B")
