"""Bottom layer: the bounds on what a prompt template may compute, in one place.

In: nothing. Out: `LIMITS`, read by `compiler/template_safety.py` (refused at `check`) and
`runtime/sandbox.py` (the second wall at render time), so the two can never disagree.
"""

from __future__ import annotations

__all__ = ["LIMITS"]

LIMITS: dict[str, int] = {
    "output_chars": 4_000_000,  # a rendered prompt; a 200k-character diff input fits 20 times
    "range": 10_000,
    "exponent": 100,
    "power_bits": 10_000,
    "format_width": 1_000,
    "render_seconds": 10,
    "loop_iterations": 1_000_000,  # over every range one render walks, nested loops included
}
