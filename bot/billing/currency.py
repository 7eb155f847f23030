"""Decimal amounts (Zoho's ``12.5``) to the integer minor units the values carry."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 exponents that are not 2 (Stripe amounts already follow these).
_EXPONENTS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                     "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def exponent(currency: str) -> int:
    """Digits after the decimal point in ``currency`` (JPY 0, KWD 3, most 2)."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_minor(amount: object, currency: str) -> int:
    """``12.5`` USD → 1250, ``1000`` JPY → 1000, ``1.2345`` KWD → 1235 (half up).

    :param amount: a JSON number or numeric string; empty or malformed counts as 0
    """
    try:
        value = Decimal(str(amount)) if amount not in (None, "") else Decimal(0)
    except InvalidOperation:
        return 0
    if not value.is_finite():
        return 0
    scaled = value.scaleb(exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
