"""Status that survives any eyes: fills told apart under colour-vision deficiencies, a symbol
and a word with every status, readable text on every fill.

The simulation is Machado, Oliveira and Fernandes (2009), "A Physiologically-based Model
for Simulation of Color Vision Deficiency", IEEE TVCG 15(6), at severity 1.0 (the matrices
of their table, applied to linear RGB); distances are CIE76 ΔE in CIELAB (D65). A ΔE
around 2 is just noticeable; 20 is a clearly different colour at a glance.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kpi_xl.catalog import LANGUAGES, STATUSES, status_label
from kpi_xl.style import STATUS_COLORS, STATUS_SYMBOLS

SIMULATIONS = {
    "normal": np.eye(3),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
         [-0.011820, 0.042940, 0.968881]]
    ),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
         [-0.003882, -0.048116, 1.051998]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
         [0.004733, 0.691367, 0.303900]]
    ),
}  # fmt: skip
JUDGED = ("on_track", "at_risk", "off_track")
UNJUDGED = tuple(s for s in STATUSES if s not in JUDGED)


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    ) @ np.clip(linear, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta(a: str, b: str, vision: str) -> float:
    m = SIMULATIONS[vision]
    return float(np.linalg.norm(_lab(m @ _linear(a)) - _lab(m @ _linear(b))))


def test_the_simulation_reproduces_the_problem_it_guards_against() -> None:
    """Excel's Good/Bad pair, which the plan used before: distinct to normal vision,
    nearly the same beige under deuteranopia."""
    good, bad = "#C6EFCE", "#FFC7CE"
    assert _delta(good, bad, "normal") > 40
    assert _delta(good, bad, "deuteranopia") < 6


@pytest.mark.parametrize("vision", sorted(SIMULATIONS))
def test_judged_statuses_stay_far_apart(vision: str) -> None:
    for a, b in itertools.combinations(JUDGED, 2):
        distance = _delta(STATUS_COLORS[a][0], STATUS_COLORS[b][0], vision)
        assert distance >= 20, f"{a} vs {b} under {vision}: ΔE {distance:.1f}"


@pytest.mark.parametrize("vision", sorted(SIMULATIONS))
def test_a_judged_status_never_looks_unjudged(vision: str) -> None:
    for a, b in itertools.product(JUDGED, UNJUDGED):
        distance = _delta(STATUS_COLORS[a][0], STATUS_COLORS[b][0], vision)
        assert distance >= 10, f"{a} vs {b} under {vision}: ΔE {distance:.1f}"


def _luminance(hex_colour: str) -> float:
    r, g, b = _linear(hex_colour)
    return float(0.2126 * r + 0.7152 * g + 0.0722 * b)


def test_text_on_every_fill_is_readable() -> None:
    """WCAG 2 contrast of each status's font colour on its fill: 4.5:1 or more."""
    for code, (fill, font) in STATUS_COLORS.items():
        hi, lo = sorted((_luminance(fill), _luminance(font)), reverse=True)
        assert (hi + 0.05) / (lo + 0.05) >= 4.5, code


def test_every_status_is_a_symbol_and_a_word_in_every_language() -> None:
    assert len(set(STATUS_SYMBOLS.values())) == len(STATUSES)
    for lang in LANGUAGES:
        labels = [status_label(code, lang) for code in STATUSES]
        assert len(set(labels)) == len(STATUSES), lang
        for code, text in zip(STATUSES, labels, strict=True):
            symbol, _, word = text.partition(" ")
            assert symbol == STATUS_SYMBOLS[code] and word.strip(), (lang, text)
