"""Amounts in minor units, written the way an operator reads them: ``$12.34``, ``¥1,200``,
``12.345 KWD``."""

from __future__ import annotations

from bot.billing.base import Money

#: currencies whose minor unit is not a hundredth (ISO 4217); the rest have two decimals
DECIMALS: dict[str, int] = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                     "UGX", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
#: written before the amount; every other currency is written after it, by its code
SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹",
                           "CAD": "CA$", "AUD": "A$"}


def format_money(money: Money) -> str:
    code = money.currency.upper()
    decimals = DECIMALS.get(code, 2)
    whole, part = divmod(abs(money.amount), 10 ** decimals)
    number = f"{whole:,}" + (f".{part:0{decimals}d}" if decimals else "")
    sign = "-" if money.amount < 0 else ""
    if code in SYMBOLS:
        return f"{sign}{SYMBOLS[code]}{number}"
    return f"{sign}{number} {code}"
