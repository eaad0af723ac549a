"""Age bands (docs/domain.md §9): a member's band on a date follows from the birth date alone."""

from __future__ import annotations

import datetime as dt

AGE_BANDS = [(18, 25), (26, 35), (36, 45), (46, 60), (61, 120)]


def band_label(band: tuple[int, int]) -> str:
    low, high = band
    return f"{low}-{high}" if high < 120 else f"{low}+"


def band_from_label(label: str) -> tuple[int, int] | None:
    """``"26-35"`` or ``"61+"`` → the band; anything else → None."""
    return next((band for band in AGE_BANDS if band_label(band) == label), None)


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def birth_dates(band: tuple[int, int], on: dt.date) -> tuple[dt.date, dt.date]:
    """``(after, up_to)``: aged ``low``–``high`` on ``on`` means born after the day they would
    have turned ``high + 1`` and on or before the day they turned ``low``."""
    low, high = band
    return years_before(on, high + 1), years_before(on, low)
