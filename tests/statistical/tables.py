"""Print docs/statistics.md's calibration and power tables from the statistical suite's own runs.

    .venv/bin/python tests/statistical/tables.py > /tmp/tables.md    # about 3 minutes on 2 CPUs

Same generators, seeds and trial counts as ``tests/statistical`` (``runs``), so the tables show what CI
checks; the power table adds 300- and 3,000-row batches to the suite's 1,000.
"""

from __future__ import annotations

import sys
import time
import zlib

import numpy as np
from cardinality import LEVELS, SHAPES
from realistic import KINDS
from runs import (
    BATCH_ROWS,
    CARDINALITY_TRIALS,
    TRIALS,
    cardinality_false_alarms,
    power,
    realistic_false_alarms,
)
from test_dependence import TRIALS as DEPENDENCE_TRIALS
from test_dependence import false_alarm_rates
from test_label_family import TRIALS as LABEL_TRIALS
from test_label_family import stable_alarms
from test_numeric_effect import CHANGES, changed_batch, profile

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift import feature_drift


def _header(first: str, sizes, trials) -> list[str]:
    cells = " | ".join(f"{rows:,} ({trials[rows]})" for rows in sizes)
    return [f"| {first} | {cells} |", "|---|" + "---:|" * len(sizes)]


def realistic_table() -> list[str]:
    runs = {rows: realistic_false_alarms(rows) for rows in BATCH_ROWS}
    lines = _header("column (no-drift batch rows, trials)", BATCH_ROWS, TRIALS)
    for name, kind in KINDS.items():
        cells = " | ".join(
            f"{runs[rows].per_column.get(name, 0) / runs[rows].trials:.1%}" for rows in BATCH_ROWS
        )
        lines.append(f"| `{name}`: {kind} | {cells} |")
    cells = " | ".join(f"**{runs[rows].rate:.1%}**" for rows in BATCH_ROWS)
    lines.append(f"| **any column** (alpha 0.05, Holm across all tests) | {cells} |")
    return lines


def cardinality_table() -> tuple[list[str], list[str]]:
    lines = _header("levels, shape (batch rows, trials)", BATCH_ROWS, CARDINALITY_TRIALS)
    effects = [
        "| levels, shape | " + " | ".join(f"{r:,}" for r in BATCH_ROWS[2:]) + " |",
        "|---|---:|---:|---:|",
    ]
    alarms = dict.fromkeys(BATCH_ROWS, 0)
    for levels in LEVELS:
        for shape in SHAPES:
            runs = [cardinality_false_alarms(levels, shape, rows) for rows in BATCH_ROWS]
            lines.append(f"| {levels:,} {shape} | " + " | ".join(f"{r.rate:.1%}" for r in runs) + " |")
            cells = [f"{np.median(r.effects):.3f} / {np.quantile(r.effects, 0.95):.3f}" for r in runs[2:]]
            effects.append(f"| {levels:,} {shape} | " + " | ".join(cells) + " |")
            for run in runs:
                alarms[run.batch_rows] += run.alarms
    shapes = len(LEVELS) * len(SHAPES)
    pooled = " | ".join(f"**{alarms[r] / (shapes * CARDINALITY_TRIALS[r]):.1%}**" for r in BATCH_ROWS)
    lines.append(f"| **all {shapes} columns pooled** | {pooled} |")
    return lines, effects


def power_table() -> list[str]:
    sizes = (300, 1_000, 3_000)
    lines = [
        "| change (50 batches each) | " + " | ".join(f"{r:,} rows" for r in sizes) + " |",
        "|---|---:|---:|---:|",
    ]
    for column, what in (("user_id", "5,000 levels, exact"), ("sku", "50,000 levels Zipf, hashed")):
        for change, share, words in (
            ("unseen", 0.05, "5% of rows never-seen"),
            ("hot", 0.10, "10% of rows onto 50"),
        ):
            cells = []
            for rows in sizes:
                hits, trials = power(column, change, share, rows)
                cells.append(f"{hits / trials:.0%}")
            lines.append(f"| `{column}` ({what}): {words} | " + " | ".join(cells) + " |")
    return lines


def dependence_table() -> list[str]:
    lines = [
        f"| AR(1), rho 0.9 ({DEPENDENCE_TRIALS} batches) | 100 rows | 1,000 rows | 10,000 rows |",
        "|---|---:|---:|---:|",
    ]
    for label, option in (
        ("independent (default)", "independent"),
        ('`"dependence": "autocorrelated"`', "autocorrelated"),
    ):
        rates = false_alarm_rates(option)
        lines.append(f"| {label} | " + " | ".join(f"{rates[r]:.0%}" for r in (100, 1_000, 10_000)) + " |")
    return lines


def numeric_effect_table() -> list[str]:
    """The issue-19 cases at 1,000 and 50,000 rows (first trial of the test's seeds): D, PSI, verdict."""
    sizes = (1_000, 50_000)
    lines = [
        "| change | " + " | ".join(f"{r:,} rows: D / PSI / beyond range / flagged" for r in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for change, (column, _) in CHANGES.items():
        cells = []
        for rows in sizes:
            rng = np.random.default_rng(zlib.crc32(f"{change}/{rows}".encode()))
            result = {
                r.name: r for r in feature_drift(profile(), changed_batch(change, rows, rng), DriftConfig())
            }
            found = result[column]
            beyond = found.beyond_range.details["rows_beyond"] if found.beyond_range else 0
            psi = found.distribution.details["psi"]
            verdict = ", ".join(found.to_dict()["drift_reasons"]) if found.drifted else "no"
            cells.append(f"{found.distribution.statistic:.3f} / {psi:.4f} / {beyond / rows:.1%} / {verdict}")
        lines.append(f"| {change} (`{column}`) | " + " | ".join(cells) + " |")
    return lines


def label_table() -> list[str]:
    lines = [
        f"| stable labelled batches ({LABEL_TRIALS} each) | 300 rows | 3,000 rows |",
        "|---|---:|---:|",
    ]
    for words, alone in (("label at its own alpha (a second family)", True), ("one family (default)", False)):
        runs = [stable_alarms(rows, label_alone=alone) for rows in (300, 3_000)]
        cells = " | ".join(f"{a / LABEL_TRIALS:.1%} (label {b / LABEL_TRIALS:.1%})" for a, b in runs)
        lines.append(f"| {words} | {cells} |")
    return lines


def main() -> int:
    started = time.perf_counter()
    sections = [("False alarms per column, realistic frame", realistic_table())]
    matrix, effects = cardinality_table()
    sections += [
        ("False alarms, one categorical column alone", matrix),
        ("No-drift effect size w, median / 95th percentile", effects),
        ("Power", power_table()),
        ("Autocorrelated rows: false alarms", dependence_table()),
        ("Numeric changes PSI on deciles cannot see", numeric_effect_table()),
        ("Label in the family: any alarm (label's own share)", label_table()),
    ]
    for title, lines in sections:
        print(f"### {title}\n")
        print("\n".join(lines) + "\n")
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
