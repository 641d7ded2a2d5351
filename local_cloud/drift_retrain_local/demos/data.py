"""Example data with known drift: a credit-default problem whose world changes in documented ways.

Nothing is downloaded: rows are simulated from fixed seeds. ``default`` (the label, first column) follows
rule A in the training data. Batches then show each case the service must handle: an unchanged world,
a covariate shift with no labels, a pure concept change (rule B, same feature distributions), and
malformed files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REGIONS = ["north", "south", "east", "west"]
PRODUCTS = ["basic", "plus", "premium"]
LABEL = "default"


def features(rows: int, rng: np.random.Generator, *, shifted: bool = False) -> pd.DataFrame:
    """Applicants. ``shifted``: older applicants, higher salaries and a new region (covariate shift)."""
    age = rng.uniform(20, 70, rows) + (6.0 if shifted else 0.0)
    salary = rng.lognormal(np.log(48_000), 0.45, rows) * (1.15 if shifted else 1.0)
    loan = rng.lognormal(np.log(15_000), 0.6, rows)
    tenure = rng.poisson(4, rows).astype(float)
    utilization = rng.beta(2, 3, rows)
    regions = [*REGIONS, "central"] if shifted else REGIONS
    weights = [0.3, 0.25, 0.2, 0.15, 0.1] if shifted else [0.35, 0.3, 0.2, 0.15]
    region = rng.choice(regions, rows, p=weights)
    product = rng.choice(PRODUCTS, rows, p=[0.5, 0.35, 0.15])
    frame = pd.DataFrame(
        {
            "age": np.round(age, 1),
            "salary": np.round(salary, 2),
            "loan": np.round(loan, 2),
            "tenure_years": tenure,
            "utilization": np.round(utilization, 4),
            "region": region,
            "product": product,
        }
    )
    frame.loc[rng.random(rows) < 0.02, "tenure_years"] = np.nan
    return frame


def rule_a(frame: pd.DataFrame) -> np.ndarray:
    """Before the change: defaults follow the debt burden and card utilisation."""
    burden = frame["loan"] / frame["salary"]
    return ((burden > 0.4) & (frame["utilization"] > 0.35)) | (frame["utilization"] > 0.75)


def rule_b(frame: pd.DataFrame) -> np.ndarray:
    """After the change (new lending rules): young applicants on basic products default."""
    return ((frame["age"] < 40) & (frame["product"] == "basic")) | (frame["tenure_years"].fillna(0) < 2)


def labelled(frame: pd.DataFrame, rule, rng: np.random.Generator, noise: float = 0.03) -> pd.DataFrame:
    label = np.asarray(rule(frame), dtype=bool) ^ (rng.random(len(frame)) < noise)
    return pd.concat([pd.Series(label.astype(int), name=LABEL, index=frame.index), frame], axis=1)


def write_demo_data(
    directory: str | Path, *, train_rows: int = 20_000, batch_rows: int = 5_000, seed: int = 1
):
    """Write ``train.csv`` and the batches; returns ``(train_path, [(batch_path, description), ...])``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    train = labelled(features(train_rows, rng), rule_a, rng)
    train_path = out / "train.csv"
    train.to_csv(train_path, index=False)
    batches = []

    def save(name: str, frame: pd.DataFrame, description: str) -> None:
        path = out / name
        frame.to_csv(path, index=False)
        batches.append((path, description))

    save("batch-01-stable.csv", labelled(features(batch_rows, rng), rule_a, rng), "same world as training")
    unlabelled = features(batch_rows, rng, shifted=True)
    save(
        "batch-02-covariate-shift-unlabelled.csv",
        pd.concat([pd.Series(np.nan, name=LABEL, index=unlabelled.index), unlabelled], axis=1),
        "older, richer applicants and a new region; labels not in yet",
    )
    save(
        "batch-03-concept-change.csv",
        labelled(features(batch_rows, rng), rule_b, rng),
        "same applicants, new default behaviour (concept drift)",
    )
    bad = labelled(features(50, rng), rule_a, rng).to_csv(index=False).splitlines()
    bad[7] = bad[7] + ",unexpected"
    path = out / "batch-04-malformed.csv"
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    batches.append((path, "a row with an extra field (should be quarantined)"))
    return train_path, batches


#: The demo's live traffic: (file, rule, description). The champion serves rule B after batch-03's retrain.
DEMO_TRAFFIC = (
    ("traffic-01-same-world.csv", "b", "requests in the world the retrained model learnt"),
    ("traffic-02-same-world.csv", "b", "more of the same"),
    ("traffic-03-behaviour-back.csv", "a", "default behaviour back to the old rule (concept change)"),
    ("traffic-04-behaviour-back.csv", "a", "the old rule"),
    ("traffic-05-behaviour-back.csv", "a", "the old rule"),
)


def write_demo_traffic(directory: str | Path, *, rows: int = 1_000, seed: int = 2):
    """Write the live-traffic files (labelled, as the driver needs the labels to send them later as
    ground truth); returns ``[(path, description), ...]``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    files = []
    for name, rule, description in DEMO_TRAFFIC:
        path = out / name
        labelled(features(rows, rng), rule_a if rule == "a" else rule_b, rng).to_csv(path, index=False)
        files.append((path, description))
    return files
