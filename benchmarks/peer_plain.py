"""Peer 3: drift detection the way a careful engineer writes it with pandas + scipy, no precomputation.

Every check reads the baseline CSV and the batch CSV, then per feature column:

* numeric (pandas numeric dtype): ``scipy.stats.ks_2samp`` on the non-missing values;
* anything else: ``scipy.stats.chi2_contingency`` on the 2 x K table of baseline vs batch counts per
  level, missing values counted as a level of their own;

and flags the columns whose p-value is below ``alpha / number_of_columns`` (Bonferroni, alpha 0.05).

Usage: ``python benchmarks/peer_plain.py BASELINE.csv BATCH.csv [--label label] [--alpha 0.05]``;
prints one ``BENCH_RESULT {json}`` line (see bench_measure.py).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import scipy
from bench_measure import emit
from scipy import stats

MISSING_LEVEL = "__missing__"


def column_pvalue(base: pd.Series, batch: pd.Series) -> tuple[str, float, float]:
    """(test name, statistic, p-value) for one column."""
    if pd.api.types.is_numeric_dtype(base) and pd.api.types.is_numeric_dtype(batch):
        result = stats.ks_2samp(base.dropna().to_numpy(), batch.dropna().to_numpy())
        return "ks_2samp", float(result.statistic), float(result.pvalue)
    base_counts = base.astype(object).fillna(MISSING_LEVEL).astype(str).value_counts()
    batch_counts = batch.astype(object).fillna(MISSING_LEVEL).astype(str).value_counts()
    table = pd.concat([base_counts, batch_counts], axis=1).fillna(0).to_numpy(dtype=float).T
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return "chi2_contingency", 0.0, 1.0
    chi2, pvalue, _dof, _expected = stats.chi2_contingency(table)
    return "chi2_contingency", float(chi2), float(pvalue)


def detect(baseline_path: str, batch_path: str, label: str, alpha: float) -> dict:
    started = time.perf_counter()
    base = pd.read_csv(baseline_path)
    batch = pd.read_csv(batch_path)
    read_seconds = time.perf_counter() - started
    features = [c for c in base.columns if c != label]
    threshold = alpha / len(features)
    columns = {}
    for name in features:
        test, statistic, pvalue = column_pvalue(base[name], batch[name])
        columns[name] = {"test": test, "statistic": statistic, "p_value": pvalue}
    drifted = [name for name, c in columns.items() if c["p_value"] < threshold]
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "read_seconds": read_seconds,
        "compute_seconds": seconds - read_seconds,
        "drifted": drifted,
        "columns": columns,
        "threshold": threshold,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="plain pandas + scipy drift check (benchmark peer)")
    parser.add_argument("baseline")
    parser.add_argument("batch")
    parser.add_argument("--label", default="label")
    parser.add_argument("--alpha", type=float, default=0.05)
    args = parser.parse_args()
    result = detect(args.baseline, args.batch, args.label, args.alpha)
    result["versions"] = {"pandas": pd.__version__, "numpy": np.__version__, "scipy": scipy.__version__}
    emit(result)


if __name__ == "__main__":
    main()
