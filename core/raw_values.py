"""Reading what a page sends: a field's raw value as a whole number or a finite float, or None; and what was
received, quoted short and safe for a message."""

from __future__ import annotations

import math
from numbers import Real


def whole_number(value: object, low: int, high: int) -> int | None:
    """`value` as an int within [low, high], or None (bools, strings and fractions are not)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    # Compare ints exactly: float() of a 400-digit int would overflow.
    if isinstance(value, int):
        whole = value
    else:
        number = float(value)
        whole = int(number) if math.isfinite(number) and number.is_integer() else None
    return int(whole) if whole is not None and low <= whole <= high else None


def finite_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    if isinstance(value, int) and abs(value) > 2**53:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def describe(value: object) -> str:
    """A short, safe rendering of a received value (the page shows it as text, never as HTML)."""
    try:
        text = repr(value)
    except ValueError:  # ints past Python's digit limit refuse to print
        return "an oversized number"
    return text if len(text) <= 40 else text[:37] + "..."


def received(value: object) -> str:
    """The end of a message: what was received. A number field sends nothing both when it is
    empty and when its text is no number ("abc"): the browser keeps that text to itself."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "; the field holds no number"
    return f"; got {describe(value)}"
