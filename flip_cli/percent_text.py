"""Fractions as the CLI's tables print them: percent with one decimal, an interval in brackets,
and "-" where there is no number (one spelling for ``flip runs`` and every ``flip report``)."""

from __future__ import annotations


def percent(value: float | None) -> str:
    """``0.5`` -> ``"50.0"``; None -> ``"-"``."""
    return "-" if value is None else f"{value * 100:.1f}"


def percent_interval(value: float | None, bounds: tuple[float, float] | None) -> str:
    """``"59.7 [50.7, 67.9]"``; the bare percent without bounds; ``"-"`` without a value."""
    if value is None or bounds is None:
        return percent(value)
    return f"{value * 100:.1f} [{bounds[0] * 100:.1f}, {bounds[1] * 100:.1f}]"
