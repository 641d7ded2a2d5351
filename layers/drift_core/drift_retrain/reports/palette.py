"""Colours that stay apart for colour-blind readers: a simulation of the three dichromacies and a
distance between colours, so a test can hold every palette of the pages to a minimum difference.

Simulation: Machado, Oliveira and Fernandes (2009), severity 1.0, applied in linear sRGB. Distance:
CIE76 ΔE in CIELAB (D65); about 2 is just noticeable, 10 and more reads as a different colour at a
glance (what a legend swatch needs).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

__all__ = ["DICHROMACIES", "MIN_DELTA_E", "closest_pair", "delta_e", "simulate"]

#: Smallest ΔE between any two colours of one chart, for every reader (normal vision included).
MIN_DELTA_E = 10.0
DICHROMACIES = {
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}
_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def _linear(colour: str) -> np.ndarray:
    text = colour.lstrip("#")
    srgb = np.array([int(text[i : i + 2], 16) for i in (0, 2, 4)]) / 255.0
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = (_RGB_TO_XYZ @ np.clip(linear, 0.0, 1.0)) / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def simulate(colour: str, dichromacy: str | None) -> np.ndarray:
    """The colour (``#rrggbb``) as a reader with ``dichromacy`` sees it, in linear sRGB (None: as is)."""
    linear = _linear(colour)
    return linear if dichromacy is None else DICHROMACIES[dichromacy] @ linear


def delta_e(first: str, second: str, dichromacy: str | None = None) -> float:
    """CIE76 distance between two colours as a reader with ``dichromacy`` (None: normal vision) sees them."""
    return float(np.linalg.norm(_lab(simulate(first, dichromacy)) - _lab(simulate(second, dichromacy))))


def closest_pair(palette: dict[str, str]) -> tuple[float, str, str, str]:
    """The two colours of ``palette`` hardest to tell apart for any reader: ``(ΔE, vision, a, b)``."""
    worst = (float("inf"), "", "", "")
    for vision in (None, *DICHROMACIES):
        for a, b in combinations(palette, 2):
            distance = delta_e(palette[a], palette[b], vision)
            if distance < worst[0]:
                worst = (distance, vision or "normal", a, b)
    return worst
