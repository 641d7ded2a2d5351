"""A uniform sample of at most ``max_rows`` rows of a stream of frames, in file order, with bounded memory."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["RowSampler"]


class RowSampler:
    """Keeps every row, or a uniform sample of ``max_rows`` rows (bottom-k of random keys)."""

    def __init__(self, max_rows: int | None, seed: int):
        self.max_rows = max_rows
        self.rng = np.random.default_rng(seed)
        self.frames: list[pd.DataFrame] = []
        self.lines: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []
        self.kept = 0
        self.rows_read = 0

    def add(self, frame: pd.DataFrame, lines: np.ndarray) -> None:
        if not len(frame):
            return
        frame.index = pd.RangeIndex(self.rows_read, self.rows_read + len(frame))
        self.rows_read += len(frame)
        self.frames.append(frame)
        self.lines.append(np.asarray(lines, dtype=np.int64))
        if self.max_rows is not None:
            self.keys.append(self.rng.random(len(frame)))
        self.kept += len(frame)
        if self.max_rows is not None and self.kept > 2 * self.max_rows:
            self._compact()

    def _compact(self) -> None:
        frame = pd.concat(self.frames)
        lines = np.concatenate(self.lines)
        keys = np.concatenate(self.keys)
        keep = np.sort(np.argpartition(keys, self.max_rows - 1)[: self.max_rows])
        self.frames, self.lines, self.keys = [frame.iloc[keep]], [lines[keep]], [keys[keep]]
        self.kept = len(keep)

    def result(self, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray, int]:
        if not self.frames:
            return pd.DataFrame(columns=columns), np.empty(0, dtype=np.int64), 0
        if self.max_rows is not None and self.kept > self.max_rows:
            self._compact()
        frame = self.frames[0] if len(self.frames) == 1 else pd.concat(self.frames)
        return frame, np.concatenate(self.lines), self.rows_read
