"""How the benchmarks print a figure measured several times."""

from __future__ import annotations

import statistics


def spread(values: list[float], unit: str = "") -> str:
    """The median of ``values``, with their minimum and maximum."""
    return (
        f"median {statistics.median(values):.3g}{unit} "
        f"(min {min(values):.3g}{unit}, max {max(values):.3g}{unit})"
    )
