"""Every level of a categorical column, kept so that tests on it stay unbiased at any cardinality.

Up to ``EXACT_MAX_LEVELS`` distinct levels the profile keeps every level's count. Beyond that it hashes
every level into ``HASH_BUCKETS`` buckets (the bucket of a level depends on its name, never on its
count, so no bucket is chosen for looking big: no winner's curse) and keeps a Bloom filter of the levels
it saw, whose false positives only make the never-seen test conservative. Either way it keeps the
counts the ID-like tests need: the levels seen once (Good-Turing) and the collision moments.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.stats import pair_moments

__all__ = [
    "EXACT_MAX_LEVELS",
    "HASH_BUCKETS",
    "BatchCells",
    "Levels",
    "SeenFilter",
    "level_hashes",
]


#: Columns with at most this many distinct levels keep every level's count.
EXACT_MAX_LEVELS = 10_000
#: Buckets of a hashed column (a power of two).
HASH_BUCKETS = 16_384
#: Largest Bloom filter (bits): 512 KB, about 1% false positives at 430k levels, 15% at 1M.
FILTER_MAX_BITS = 1 << 22


def level_hashes(levels: Sequence[str]) -> np.ndarray:
    """A stable 64-bit hash per level: CRC-32 of its UTF-8 bytes (high half) and of them reversed (low half).

    Stable across processes, Python and library versions (a profile written on one machine is read on
    another), unlike ``hash()``; two CRCs of different byte orders are independent enough for a Bloom
    filter's double hashing.
    """
    texts = levels if isinstance(levels, list) else np.asarray(levels, dtype=object).tolist()
    encoded = [str(level).encode("utf-8", "surrogatepass") for level in texts]
    high = np.array(list(map(zlib.crc32, encoded)), dtype=np.uint64)
    low = np.array(list(map(zlib.crc32, (b[::-1] for b in encoded))), dtype=np.uint64)
    return (high << np.uint64(32)) | low


def _bucket_of(hashes: np.ndarray, buckets: int) -> np.ndarray:
    return ((hashes >> np.uint64(32)) % np.uint64(buckets)).astype(np.intp)


@dataclass
class SeenFilter:
    """A Bloom filter of level hashes: "not in the filter" is certain, "in it" is wrong with ``fpr``."""

    bits: np.ndarray  # packed uint8, big-endian bit order (np.packbits)
    size: int  # number of bits, a power of two
    hashes: int

    @classmethod
    def build(cls, level_hash: np.ndarray) -> SeenFilter:
        distinct = max(1, len(level_hash))
        size = int(min(FILTER_MAX_BITS, max(1024, 1 << int(np.ceil(np.log2(10 * distinct))))))
        hashes = int(np.clip(round(size / distinct * np.log(2)), 1, 8))
        marks = np.zeros(size, dtype=bool)
        marks[cls._positions(level_hash, size, hashes).ravel()] = True
        return cls(np.packbits(marks), size, hashes)

    @staticmethod
    def _positions(level_hash: np.ndarray, size: int, hashes: int) -> np.ndarray:
        first = level_hash >> np.uint64(32)
        step = (level_hash & np.uint64(0xFFFFFFFF)) | np.uint64(1)
        rounds = np.arange(hashes, dtype=np.uint64)
        return ((first[:, None] + rounds[None, :] * step[:, None]) % np.uint64(size)).astype(np.intp)

    def contains(self, level_hash: np.ndarray) -> np.ndarray:
        positions = self._positions(np.asarray(level_hash, dtype=np.uint64), self.size, self.hashes)
        found = (self.bits[positions >> 3] >> (7 - (positions & 7))) & 1
        return found.all(axis=1)

    @property
    def fpr(self) -> float:
        """Chance that a level never seen is taken for a seen one."""
        filled = float(np.unpackbits(self.bits).mean())
        return filled**self.hashes

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "hashes": self.hashes, "bits": base64.b64encode(self.bits).decode("ascii")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SeenFilter:
        bits = np.frombuffer(base64.b64decode(data["bits"]), dtype=np.uint8)
        size = int(data["size"])
        if len(bits) * 8 != size:
            raise ValueError(f"seen filter holds {len(bits) * 8} bits, expected {size}")
        return cls(bits, size, int(data["hashes"]))


@dataclass
class BatchCells:
    """A batch laid over the profile's cells (levels or hash buckets), ready for the tests."""

    baseline: np.ndarray
    batch: np.ndarray
    tiebreak: np.ndarray
    unseen: pd.Series  # batch levels certainly never seen in the baseline, with their counts
    unseen_singletons: int  # batch rows of a never-seen level that occurs once in the batch
    singleton_hits: int  # baseline singletons that occur in the batch (0 when unknown: conservative)


@dataclass
class Levels:
    """All levels of a column beyond the top ones (exact) or hashed, with their Good-Turing and pair counts."""

    exact: bool
    distinct: int
    singletons: int
    pair_share: float  # unbiased sum p**2
    triple_share: float  # unbiased sum p**3
    tail: list[str] = field(default_factory=list)  # exact: levels after the profile's top ones
    tail_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    buckets: np.ndarray | None = None  # hashed: rows per bucket
    seen: SeenFilter | None = None  # hashed: which levels occurred
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_counts(cls, counts: pd.Series, top: int, hashes: np.ndarray | None = None) -> Levels:
        """From value counts sorted by count (descending); the first ``top`` are kept by the profile itself.

        ``hashes`` are the levels' ``level_hashes`` when the caller has them instead of every name (a
        merge of profile parts keeps a many-level column by hash).
        """
        values = counts.to_numpy(dtype=np.int64)
        s2, s3 = pair_moments(values)
        common = {
            "distinct": len(values),
            "singletons": int(np.count_nonzero(values == 1)),
            "pair_share": s2,
            "triple_share": s3,
        }
        if len(values) <= EXACT_MAX_LEVELS:
            return cls(True, tail=[str(v) for v in counts.index[top:]], tail_counts=values[top:], **common)
        hashes = level_hashes(counts.index) if hashes is None else hashes
        buckets = np.bincount(_bucket_of(hashes, HASH_BUCKETS), weights=values, minlength=HASH_BUCKETS)
        return cls(False, buckets=buckets.astype(np.int64), seen=SeenFilter.build(hashes), **common)

    def cells(
        self, top: list[str], top_counts: np.ndarray, batch: pd.Series, *, hashed: bool = False
    ) -> BatchCells:
        """Lay ``batch`` (count per present level, string index) over the cells.

        ``hashed``: the index holds ``level_hashes`` instead of names (a merged summary of parts with
        many levels keeps its rarer levels by hash); never-seen levels then tie-break by that hash.
        """
        if self.exact:
            return self._exact_cells(top, top_counts, batch, hashed)
        return self._hashed_cells(batch, hashed)

    def _exact_cells(
        self, top: list[str], top_counts: np.ndarray, batch: pd.Series, hashed: bool
    ) -> BatchCells:
        if "index" not in self._cache:
            names = [*top, *self.tail]
            self._cache["index"] = pd.Index(names, dtype=object)
            self._cache["counts"] = np.concatenate((top_counts, self.tail_counts)).astype(np.float64)
            self._cache["keys"] = pd.util.hash_array(np.asarray(names, dtype=object))
        if hashed and "hashes" not in self._cache:
            self._cache["hashes"] = pd.Index(level_hashes(list(self._cache["index"])))
        index, counts = self._cache["index"], self._cache["counts"]
        position = (self._cache["hashes"] if hashed else index).get_indexer(batch.index)
        known = position >= 0
        batch_counts = batch.to_numpy(dtype=np.float64)
        on_levels = np.bincount(position[known], weights=batch_counts[known], minlength=len(index))
        unseen = batch[~known]
        if hashed:
            unseen_keys = unseen.index.to_numpy(dtype=np.uint64)
        else:
            unseen_keys = pd.util.hash_array(np.asarray(unseen.index, dtype=object))
        return BatchCells(
            baseline=np.concatenate((counts, np.zeros(len(unseen)))),
            batch=np.concatenate((on_levels, unseen.to_numpy(dtype=np.float64))),
            tiebreak=np.concatenate((self._cache["keys"], unseen_keys)),
            unseen=unseen,
            unseen_singletons=int(np.count_nonzero(unseen.to_numpy() == 1)),
            singleton_hits=int(np.count_nonzero((counts == 1) & (on_levels > 0))),
        )

    def _hashed_cells(self, batch: pd.Series, hashed: bool) -> BatchCells:
        assert self.buckets is not None and self.seen is not None
        hashes = batch.index.to_numpy(dtype=np.uint64) if hashed else level_hashes(batch.index)
        batch_counts = batch.to_numpy(dtype=np.float64)
        on_buckets = np.bincount(
            _bucket_of(hashes, len(self.buckets)), weights=batch_counts, minlength=len(self.buckets)
        )
        never = ~self.seen.contains(hashes)
        unseen = batch[never]
        return BatchCells(
            baseline=self.buckets.astype(np.float64),
            batch=on_buckets,
            tiebreak=np.arange(len(self.buckets)),
            unseen=unseen,
            unseen_singletons=int(np.count_nonzero(unseen.to_numpy() == 1)),
            singleton_hits=0,
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "representation": "exact" if self.exact else "hashed",
            "distinct": self.distinct,
            "singletons": self.singletons,
            "pair_share": self.pair_share,
            "triple_share": self.triple_share,
        }
        if self.exact:
            data.update(tail=self.tail, tail_counts=self.tail_counts.tolist())
        else:
            assert self.buckets is not None and self.seen is not None
            data.update(buckets=self.buckets.tolist(), seen=self.seen.to_dict())
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Levels:
        representation = data["representation"]
        if representation not in ("exact", "hashed"):
            raise ValueError(f"unknown level representation {representation!r}")
        exact = representation == "exact"
        return cls(
            exact=exact,
            distinct=int(data["distinct"]),
            singletons=int(data["singletons"]),
            pair_share=float(data["pair_share"]),
            triple_share=float(data["triple_share"]),
            tail=[str(v) for v in data.get("tail", [])] if exact else [],
            tail_counts=np.asarray(data.get("tail_counts", []) if exact else [], dtype=np.int64),
            buckets=None if exact else np.asarray(data["buckets"], dtype=np.int64),
            seen=None if exact else SeenFilter.from_dict(data["seen"]),
        )
