"""Colours and sizes shared by every map, so a theme or a stance looks the same everywhere.

The qualitative palette is Tableau 10 (distinguishable in print and, mostly, with colour-blind
vision); stances use Okabe-Ito hues so that supports/extends/challenges differ in lightness too.
"""

from __future__ import annotations

import math
import re

QUALITATIVE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#79706e",
)
STANCE_COLOURS = {
    "supports": "#009e73",
    "extends": "#0072b2",
    "challenges": "#d55e00",
    "mentions": "#8c8c8c",
}
#: Colours of node kinds that are not coloured by theme or cluster.
KIND_COLOURS = {
    "Theory": "#3b3b3b",
    "Construct": "#7f7f7f",
    "Work": "#b8b0a2",
    "Participant": "#5d6d7e",
}
NEUTRAL = "#b0b0b0"
EDGE = "#9aa5b1"

_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def qualitative(i: int) -> str:
    """The i-th colour of the qualitative palette (cycling)."""
    return QUALITATIVE[i % len(QUALITATIVE)]


def valid_colour(value: str | None) -> str | None:
    """A ``#rrggbb`` colour from the data, or None: nothing else reaches the page or figure."""
    if value and _HEX.fullmatch(value.strip()):
        return value.strip().lower()
    return None


def tint(colour: str, amount: float) -> str:
    """``colour`` mixed with white (0 = unchanged, 1 = white): lighter shades for deeper levels."""
    rgb = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)


def darker(colour: str, amount: float = 0.3) -> str:
    """``colour`` darkened (0 = unchanged, 1 = black): node borders."""
    rgb = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c * (1 - amount)):02x}" for c in rgb)


def size_for(count: int, base: float = 8.0, step: float = 4.0, cap: float = 48.0) -> float:
    """Node size growing with the square root of a count, so area tracks the count."""
    return min(cap, base + step * math.sqrt(max(count, 0)))


def width_for(weight: float, cap: float = 10.0) -> float:
    """Edge width for a weight (number of extracts or co-citations)."""
    return min(cap, 1.0 + 1.5 * math.log2(max(weight, 1.0)))
