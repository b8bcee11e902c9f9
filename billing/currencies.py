"""ISO 4217 currencies this product bills in, with their minor units, and rounding of money to them.

No maintained package of the requirements carries the ISO 4217 list (babel is not one of them), so the
list is explicit: the currencies of the world's larger economies. A currency missing here is one line.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Code -> number of decimal places (ISO 4217 "minor unit"): JPY 0, EUR 2, KWD 3.
MINOR_UNITS: dict[str, int] = {
    "AED": 2,
    "ARS": 2,
    "AUD": 2,
    "BGN": 2,
    "BHD": 3,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CLP": 0,
    "CNY": 2,
    "COP": 2,
    "CZK": 2,
    "DKK": 2,
    "EGP": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "HUF": 2,
    "IDR": 2,
    "ILS": 2,
    "INR": 2,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "MAD": 2,
    "MXN": 2,
    "MYR": 2,
    "NGN": 2,
    "NOK": 2,
    "NZD": 2,
    "OMR": 3,
    "PHP": 2,
    "PLN": 2,
    "QAR": 2,
    "RON": 2,
    "RSD": 2,
    "SAR": 2,
    "SEK": 2,
    "SGD": 2,
    "THB": 2,
    "TND": 3,
    "TRY": 2,
    "TWD": 2,
    "UAH": 2,
    "USD": 2,
    "VND": 0,
    "ZAR": 2,
}
CURRENCY_CHOICES = [(code, code) for code in MINOR_UNITS]


def is_currency(code: object) -> bool:
    return isinstance(code, str) and code in MINOR_UNITS


def quantum(currency: str) -> Decimal:
    """The smallest amount of `currency`: Decimal("0.01") for EUR, Decimal("1") for JPY."""
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def round_money(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded to the minor unit of `currency`, half up (commercial rounding: 0.005 → 0.01)."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)
