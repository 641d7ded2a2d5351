"""Writing one candidate's SageMaker inputs: label-first, headerless CSV channels and what promotion needs.

Built-in XGBoost reads CSV without a header, the label in the first column. Each model sees the category
codes of the rows it was trained on, so the shared held-out rows are encoded once per candidate (and once
for the champion) with that model's encoder.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.aws import storage
from drift_retrain.engine.encoding import FeatureEncoder, to_csv_rows
from drift_retrain.engine.performance import encode_labels
from drift_retrain.engine.profile import BaselineProfile, build_profile
from drift_retrain.engine.schema import Schema

__all__ = ["RunFiles", "encoded_csv", "gzip_csv"]


def encoded_csv(encoder: FeatureEncoder, frame: pd.DataFrame, schema: Schema) -> bytes:
    labels = (
        encode_labels(frame[schema.label], schema.classes)
        if schema.is_classification
        else pd.to_numeric(frame[schema.label]).to_numpy(dtype=np.float64)
    )
    return to_csv_rows(encoder.transform(frame), labels).encode("utf-8")


def gzip_csv(frame: pd.DataFrame) -> bytes:
    return gzip.compress(frame.to_csv(index=False).encode("utf-8"), mtime=0)


@dataclass(frozen=True)
class RunFiles:
    """Where one execution writes: ``training/<execution>/`` and ``transforms/<execution>/``."""

    s3: Any
    bucket: str
    run: str  # the execution name, S3-safe
    schema: Schema

    @property
    def root(self) -> str:
        return f"training/{self.run}"

    @property
    def transforms(self) -> str:
        return f"transforms/{self.run}"

    def checkpoints(self, index: int) -> str:
        """Managed spot training's checkpoint prefix of candidate ``index``."""
        return self.uri(f"checkpoints/{self.run}/{index}/")

    def uri(self, key: str) -> str:
        return storage.s3_uri(self.bucket, key)

    def ref(self, key: str) -> dict[str, str]:
        return {"bucket": self.bucket, "key": key}

    def put(self, key: str, body: bytes, content_type: str = "text/csv") -> None:
        storage.put_bytes(self.s3, self.bucket, key, body, content_type)

    def write_test(self, folder: str, encoder: FeatureEncoder, test: pd.DataFrame) -> str:
        """The held-out rows encoded for one model; returns the transform's input prefix."""
        self.put(f"{self.root}/test/{folder}/test.csv", encoded_csv(encoder, test, self.schema))
        return self.uri(f"{self.root}/test/{folder}/")

    def write_trained(
        self,
        folder: str,
        train: pd.DataFrame,
        validation: pd.DataFrame,
        test: pd.DataFrame,
        metadata: dict[str, Any],
    ) -> dict[str, Any]:
        """Channels, profile and raw rows of a candidate to train; returns the item's S3 locations."""
        rows = pd.concat([train, validation], ignore_index=True)
        profile = build_profile(rows, self.schema, metadata=metadata)
        encoder = FeatureEncoder.from_profile(profile)
        base = f"{self.root}/{folder}"
        self.put(f"{base}/train/train.csv", encoded_csv(encoder, train, self.schema))
        self.put(f"{base}/validation/validation.csv", encoded_csv(encoder, validation, self.schema))
        self.put(f"{base}/profile.json", profile.to_json_bytes(), "application/json")
        self.put(f"{base}/raw/training-data.csv.gz", gzip_csv(rows), "application/gzip")
        return {
            "train_uri": self.uri(f"{base}/train/"),
            "validation_uri": self.uri(f"{base}/validation/"),
            "test_uri": self.write_test(folder, encoder, test),
            "candidate_profile": self.ref(f"{base}/profile.json"),
            "raw_training_data": self.ref(f"{base}/raw/training-data.csv.gz"),
        }

    def write_registry(self, folder: str, profile: BaselineProfile, test: pd.DataFrame) -> str:
        """The held-out rows encoded for an earlier model (its own vocabulary)."""
        return self.write_test(folder, FeatureEncoder.from_profile(profile), test)

    def transform_output(self, folder: str) -> str:
        return self.uri(f"{self.transforms}/{folder}/")
