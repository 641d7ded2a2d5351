"""How many examples a property test draws: all it asks for in ``make test``, a share in ``make test-fast``.

``make test-fast`` is the inner loop. It sets ``TEST_EXAMPLES_SHARE=0.2``, so each property test draws a
fifth of its examples (never fewer than 10, nor more than it asks for), drawn as the test draws them. A
property that fails for many inputs still fails in seconds there; ``make test`` and CI draw every example.
"""

from __future__ import annotations

import os

__all__ = ["SHARE", "examples"]

MIN_EXAMPLES = 10


def _share() -> float:
    text = os.environ.get("TEST_EXAMPLES_SHARE", "1")
    try:
        share = float(text)
    except ValueError:
        share = -1.0
    if not 0 < share <= 1:
        raise ValueError(f"TEST_EXAMPLES_SHARE must be a number in (0, 1], not {text!r}")
    return share


SHARE = _share()


def examples(asked: int) -> int:
    """The examples to draw of the ``asked`` a test wants."""
    return min(asked, max(MIN_EXAMPLES, round(asked * SHARE)))
