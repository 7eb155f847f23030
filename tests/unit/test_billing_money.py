"""Amounts from minor units, per currency."""

from __future__ import annotations

import pytest

from bot.billing.base import Money
from bot.billing.money import format_money


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    (1234, "USD", "$12.34"), (1200, "JPY", "¥1,200"), (12345, "KWD", "12.345 KWD"),
    (123456789, "EUR", "€1,234,567.89"), (5, "GBP", "£0.05"), (-250, "usd", "-$2.50"),
    (990, "CHF", "9.90 CHF"), (0, "KRW", "0 KRW"),
])
def test_amounts_are_written_per_currency(amount: int, currency: str, shown: str) -> None:
    assert format_money(Money(amount, currency)) == shown
