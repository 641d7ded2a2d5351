"""Deterministic benchmark data: a baseline of 20 numeric + 5 categorical features plus a binary label,
and a batch in which exactly 7 feature columns are shifted.

Run as a script (the benchmark does it in a subprocess, so the orchestrator stays small):

    python benchmarks/bench_data.py --rows 1000000 --batch-rows 200000 --out benchmarks/.data/<key>

It writes ``baseline.csv``, ``batch.csv`` and ``meta.json`` (the shifted columns and what was done to
each). Everything comes from one ``numpy.random.default_rng(seed)`` per file, so the same arguments
give byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

#: Bump when the generator changes, so cached files are rebuilt.
GENERATOR_VERSION = 1
DEFAULT_SEED = 20240601

NUMERIC = [f"num_{i:02d}" for i in range(20)]
CATEGORICAL = [f"cat_{i}" for i in range(5)]

# Baseline categorical levels and shares.
CAT_LEVELS: dict[str, tuple[list[str], list[float]]] = {
    "cat_0": (["north", "south", "east", "west"], [0.4, 0.3, 0.2, 0.1]),
    "cat_1": (["basic", "plus", "pro", "enterprise", "trial"], [0.35, 0.25, 0.2, 0.12, 0.08]),
    "cat_2": (
        [f"store_{i:02d}" for i in range(40)],
        list(np.geomspace(1.0, 0.05, 40) / np.geomspace(1.0, 0.05, 40).sum()),
    ),
    "cat_3": (["card", "cash", "transfer", "wallet"], [0.5, 0.2, 0.2, 0.1]),
    "cat_4": (["yes", "no"], [0.7, 0.3]),
}

#: Baseline missing rate per column (others have none).
MISSING = {"num_05": 0.02, "num_14": 0.01, "num_18": 0.005, "cat_2": 0.01}

#: What the batch changes: exactly these 7 columns; the other 18 features keep the baseline law.
SHIFTS: dict[str, str] = {
    "num_03": "mean shift of +0.1 sigma (normal)",
    "num_08": "mean shift of +0.3 sigma (gamma, added constant)",
    "num_12": "scale change: standard deviation x1.2, same mean (normal)",
    "num_15": "shape change: normal -> symmetric bimodal mixture with the same mean and variance",
    "num_18": "missing-rate jump: 0.5% -> 5% missing, present values unchanged",
    "cat_1": "new category 'student' at 3% of rows (others scaled down)",
    "cat_3": "category share change: 'card' 50% -> 44%, 'wallet' 10% -> 16%",
}


def _numeric(rng: np.random.Generator, n: int, batch: bool) -> dict[str, np.ndarray]:
    """Twenty numeric columns with realistic shapes: normals, skewed, counts, bounded, integers."""
    cols: dict[str, np.ndarray] = {}
    cols["num_00"] = rng.normal(50.0, 10.0, n)  # e.g. age-like
    cols["num_01"] = rng.lognormal(10.0, 0.6, n)  # income-like, heavy right tail
    cols["num_02"] = rng.exponential(3.0, n)  # waiting time
    # num_03: normal; batch mean +0.1 sigma.
    cols["num_03"] = rng.normal(100.0 + (0.1 * 15.0 if batch else 0.0), 15.0, n)
    cols["num_04"] = rng.poisson(3.0, n).astype(float)  # low-cardinality counts
    cols["num_05"] = rng.beta(2.0, 5.0, n)  # a rate in [0, 1]
    cols["num_06"] = rng.uniform(-1.0, 1.0, n)
    cols["num_07"] = rng.standard_t(5, n)  # heavy tails
    # num_08: gamma(k=2, theta=2) -> sd = 2*sqrt(2); batch shifted by +0.3 sd.
    shift = 0.3 * 2.0 * np.sqrt(2.0) if batch else 0.0
    cols["num_08"] = rng.gamma(2.0, 2.0, n) + shift
    cols["num_09"] = np.round(rng.normal(1200.0, 300.0, n), 2)  # money, 2 decimals
    cols["num_10"] = rng.integers(0, 24, n).astype(float)  # hour of day
    cols["num_11"] = rng.normal(0.0, 1.0, n) * 0.5 + rng.normal(0.0, 1.0, n) * 0.5
    # num_12: normal; batch sd x1.2, same mean.
    cols["num_12"] = rng.normal(20.0, 4.0 * (1.2 if batch else 1.0), n)
    cols["num_13"] = rng.weibull(1.5, n) * 10.0
    cols["num_14"] = rng.negative_binomial(5, 0.5, n).astype(float)
    # num_15: normal(0, 1); batch is 0.5*N(-0.8, 0.6^2) + 0.5*N(0.8, 0.6^2): mean 0, variance 1.
    if batch:
        sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        cols["num_15"] = sign * 0.8 + rng.normal(0.0, 0.6, n)
    else:
        cols["num_15"] = rng.normal(0.0, 1.0, n)
    cols["num_16"] = rng.laplace(5.0, 2.0, n)
    cols["num_17"] = rng.chisquare(4.0, n)
    cols["num_18"] = rng.normal(-3.0, 2.0, n)
    cols["num_19"] = rng.logistic(0.0, 1.0, n)
    return cols


def _categorical(rng: np.random.Generator, n: int, batch: bool) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    for name in CATEGORICAL:
        levels, shares = list(CAT_LEVELS[name][0]), list(CAT_LEVELS[name][1])
        if batch and name == "cat_1":
            shares = [s * 0.97 for s in shares] + [0.03]
            levels = [*levels, "student"]
        if batch and name == "cat_3":
            shares = [0.44, 0.2, 0.2, 0.16]
        p = np.asarray(shares, dtype=float)
        cols[name] = np.asarray(levels, dtype=object)[rng.choice(len(levels), size=n, p=p / p.sum())]
    return cols


def make_frame(n: int, seed: int, batch: bool) -> pd.DataFrame:
    """One file's rows: label first, then the 20 numeric and 5 categorical features."""
    rng = np.random.default_rng([seed, 1 if batch else 0])
    num = _numeric(rng, n, batch)
    cat = _categorical(rng, n, batch)
    # The label depends only on unshifted columns, so its prior is the same in both files.
    logit = (
        0.04 * (num["num_00"] - 50.0)
        - 0.3 * num["num_07"]
        + 0.8 * (cat["cat_0"] == "north")
        - 0.5 * (cat["cat_4"] == "no")
        - 0.4
    )
    label = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int8)
    frame = pd.DataFrame({"label": label, **num, **cat})
    missing = dict(MISSING)
    if batch:
        missing["num_18"] = 0.05
    for name, rate in missing.items():
        mask = rng.random(n) < rate
        if name in CATEGORICAL:
            frame[name] = frame[name].where(~mask, None)
        else:
            frame.loc[mask, name] = np.nan
    return frame[["label", *NUMERIC, *CATEGORICAL]]


def write(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(".csv.tmp")
    frame.to_csv(tmp, index=False, float_format="%.6g", chunksize=100_000)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--batch-rows", type=int, required=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for kind, rows in (("baseline", args.rows), ("batch", args.batch_rows)):
        started = time.perf_counter()
        print(f"  generating {kind}.csv: {rows:,} rows ...", file=sys.stderr, flush=True)
        write(make_frame(rows, args.seed, batch=kind == "batch"), args.out / f"{kind}.csv")
        print(f"  {kind}.csv written in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    meta = {
        "generator_version": GENERATOR_VERSION,
        "seed": args.seed,
        "rows": args.rows,
        "batch_rows": args.batch_rows,
        "label": "label",
        "numeric": NUMERIC,
        "categorical": CATEGORICAL,
        "shifted": SHIFTS,
        "baseline_missing": MISSING,
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
