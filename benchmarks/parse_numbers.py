"""How long reading a text column as numbers takes: ``parse_numbers`` against ``pandas.to_numeric``.

Kind inference (``drift-retrain profile``, the bootstrap's PrepareTrainingData) and the check of every
numeric column of a batch read text as numbers. The peer is ``pandas.to_numeric(errors="coerce")`` on the
whole column, as the service did before; both run here on the same columns, and the benchmark fails if
their values differ. A benchmark, not a test: nothing in ``make test`` runs it.

    .venv/bin/python benchmarks/parse_numbers.py            # 100,000 rows a column
    .venv/bin/python benchmarks/parse_numbers.py --rows 1000000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from drift_retrain.engine.cell_text import parse_numbers


def _columns(rows: int) -> dict[str, pd.Series]:
    """Text as a CSV reader hands it over: levels, IDs, dates, measurements and ratings."""
    rng = np.random.default_rng(0)
    pick = rng.integers

    def text(values) -> pd.Series:
        return pd.Series(np.asarray(values).astype(str), dtype="str")

    return {
        "plan (5 levels)": text(np.array(["basic", "pro", "team", "edu", "free"])[pick(0, 5, rows)]),
        "user_id (5,000 IDs)": text([f"u{i:05d}" for i in pick(0, 5_000, rows)]),
        "date (1,200 days)": text(pd.Timestamp("2024-01-01") + pd.to_timedelta(pick(0, 1_200, rows), "D")),
        "order_id (all distinct)": text([f"o{i:011d}" for i in rng.permutation(rows)]),
        "rating (5 numbers)": text(pick(1, 6, rows)),
        "amount (distinct numbers)": text(rng.lognormal(3, 1, rows).round(2)),
    }


def _best(runs, repeats: int) -> list[float]:
    """The best time of each of ``runs``, taken in turn within each repeat (so drift hits all alike)."""
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for i, run in enumerate(runs):
            start = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5, help="the best of this many runs is reported")
    args = parser.parse_args()

    print(f"{args.rows:,} rows a column, best of {args.repeats} runs")
    print(f"{'column':<28}{'to_numeric':>12}{'parse_numbers':>15}{'ratio':>8}")
    totals = [0.0, 0.0]
    for name, column in _columns(args.rows).items():
        ours = parse_numbers(column).to_numpy()
        peer = pd.to_numeric(column, errors="coerce").astype(np.float64).to_numpy()
        if not np.array_equal(ours, peer, equal_nan=True):
            raise SystemExit(f"{name}: parse_numbers and to_numeric disagree")
        seconds_peer, seconds_ours = _best(
            [
                lambda c=column: pd.to_numeric(c, errors="coerce").astype(np.float64),
                lambda c=column: parse_numbers(c),
            ],
            args.repeats,
        )
        totals[0] += seconds_peer
        totals[1] += seconds_ours
        print(f"{name:<28}{seconds_peer:>11.4f}s{seconds_ours:>14.4f}s{seconds_ours / seconds_peer:>7.2f}x")
    print(f"{'all six':<28}{totals[0]:>11.4f}s{totals[1]:>14.4f}s{totals[1] / totals[0]:>7.2f}x")


if __name__ == "__main__":
    main()
