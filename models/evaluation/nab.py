"""Numenta Anomaly Benchmark (NAB) scoring, standard profile, as specified in the issue.

Per file (rows indexed from 0):

* the first ``min(floor(0.15 * rows), 750)`` rows are probationary: detections there
  count for nothing;
* a row is a *detection* when its score is >= the threshold;
* each labelled window ``[L, R]`` (inclusive row indices, width ``W = R - L + 1``)
  earns ``A_tp * σ(-(R - i + 1) / W) / σ(-1)`` for its *earliest* detection ``i``
  (close to ``A_tp`` at the window start, small but positive at the right edge);
  later detections inside the same window are neither rewarded nor penalised;
* a window without a detection costs ``A_fn``;
* a detection outside every window adds ``A_fp * σ(p)`` (negative) with
  ``p = (i - R) / (W - 1)`` measured from the preceding window (``R``, ``W``); it
  costs the full ``-A_fp`` when ``p > 3`` or when no window precedes it;

with ``σ(x) = 2 / (1 + e^(5x)) - 1``. One threshold is chosen for the whole corpus,
the one maximising the total, and the total is normalised as
``100 * (S - S_null) / (S_perfect - S_null)`` with ``S_null = -A_fn * windows``
(detect nothing) and ``S_perfect = A_tp * windows`` (every window at its start).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

PROBATION_FRACTION = 0.15
PROBATION_MAX_ROWS = 750


@dataclass(frozen=True, slots=True)
class CostProfile:
    tp: float = 1.0
    fn: float = 1.0
    fp: float = 0.11


STANDARD = CostProfile()


class NabDataError(Exception):
    """A NAB data or label file that cannot be used."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LabelledSeries:
    """One corpus file: its values, timestamps and labelled windows as row ranges."""

    name: str
    timestamps: pd.DatetimeIndex
    values: np.ndarray
    windows: tuple[tuple[int, int], ...]  # inclusive (first row, last row)


@dataclass(frozen=True, slots=True)
class FileScore:
    name: str
    score: float
    true_positives: int  # windows with at least one detection
    false_negatives: int  # windows without any
    false_positives: int  # scored detections outside every window


@dataclass(frozen=True, slots=True)
class CorpusScore:
    threshold: float
    total: float
    normalised: float
    files: tuple[FileScore, ...]


def scaled_sigmoid(x: float) -> float:
    """NAB's σ(x) = 2 / (1 + e^(5x)) - 1: +1 far before, 0 at x = 0, -1 far after."""
    if x > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0


def probation_rows(rows: int) -> int:
    return min(math.floor(PROBATION_FRACTION * rows), PROBATION_MAX_ROWS)


def row_values(
    rows: int, windows: Sequence[tuple[int, int]], profile: CostProfile = STANDARD
) -> tuple[np.ndarray, np.ndarray]:
    """What a detection at each row is worth, and which window (or -1) the row lies in.

    Probationary rows are worth 0 and belong to no window.
    """
    value = np.zeros(rows)
    window_of = np.full(rows, -1, dtype=np.int64)
    ordered = sorted(windows)
    previous: tuple[int, int] | None = None
    next_window = 0
    for i in range(probation_rows(rows), rows):
        while next_window < len(ordered) and ordered[next_window][1] < i:
            previous = ordered[next_window]
            next_window += 1
        current = ordered[next_window] if next_window < len(ordered) else None
        if current is not None and current[0] <= i <= current[1]:
            left, right = current
            width = right - left + 1
            value[i] = profile.tp * scaled_sigmoid(-(right - i + 1) / width) / scaled_sigmoid(-1)
            window_of[i] = next_window
        elif previous is None:
            value[i] = -profile.fp
        else:
            left, right = previous
            width = right - left + 1
            position = (i - right) / (width - 1) if width > 1 else math.inf
            value[i] = profile.fp * scaled_sigmoid(position)
    return value, window_of


def score_detections(
    name: str,
    detections: np.ndarray,
    windows: Sequence[tuple[int, int]],
    profile: CostProfile = STANDARD,
) -> FileScore:
    """The NAB score of one file's boolean detections."""
    detections = np.asarray(detections, dtype=bool)
    value, window_of = row_values(len(detections), windows, profile)
    scored = detections.copy()
    scored[: probation_rows(len(detections))] = False
    total = 0.0
    detected_windows = 0
    for index in range(len(windows)):
        hits = np.flatnonzero(scored & (window_of == index))
        if len(hits):
            total += value[hits[0]]  # earliest detection: the highest reward
            detected_windows += 1
        else:
            total -= profile.fn
    outside = scored & (window_of < 0)
    total += float(value[outside].sum())
    return FileScore(
        name, total, detected_windows, len(windows) - detected_windows, int(outside.sum())
    )


def normalised_score(total: float, windows: int, profile: CostProfile = STANDARD) -> float:
    null = -profile.fn * windows
    perfect = profile.tp * windows
    return 100.0 * (total - null) / (perfect - null)


def best_threshold(
    corpus: Sequence[tuple[str, np.ndarray, Sequence[tuple[int, int]]]],
    profile: CostProfile = STANDARD,
) -> CorpusScore:
    """Sweep every distinct score as threshold; keep the one with the highest corpus total.

    ``corpus`` holds ``(name, scores, windows)``. Scores equal to the threshold count as
    detections. Lowering the threshold past a group of equal scores changes the total by
    their false-positive costs plus, per window, the gain of an earlier first detection.
    """
    window_count = sum(len(windows) for _, _, windows in corpus)
    all_scores, all_values, all_windows = [], [], []
    window_base = 0
    for _, scores, windows in corpus:
        scores = np.asarray(scores, dtype=float)
        value, window_of = row_values(len(scores), windows, profile)
        keep = np.arange(len(scores)) >= probation_rows(len(scores))
        keep &= ~np.isnan(scores)
        all_scores.append(scores[keep])
        all_values.append(value[keep])
        all_windows.append(np.where(window_of[keep] >= 0, window_of[keep] + window_base, -1))
        window_base += len(windows)
    scores = np.concatenate(all_scores) if all_scores else np.empty(0)
    values = np.concatenate(all_values) if all_values else np.empty(0)
    window_ids = (
        np.concatenate(all_windows) if all_windows else np.empty(0, dtype=np.int64)
    ).tolist()
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order].tolist()
    sorted_values = values[order].tolist()
    sorted_windows = [window_ids[k] for k in order.tolist()]

    best_in_window = [-profile.fn] * window_count
    total = -profile.fn * window_count
    best_total, threshold = total, math.inf  # detect nothing
    for k, score in enumerate(sorted_scores):
        window = sorted_windows[k]
        if window < 0:
            total += sorted_values[k]
        elif sorted_values[k] > best_in_window[window]:
            total += sorted_values[k] - best_in_window[window]
            best_in_window[window] = sorted_values[k]
        last_of_ties = k + 1 == len(sorted_scores) or sorted_scores[k + 1] != score
        if last_of_ties and total > best_total + 1e-12:
            best_total, threshold = total, score

    files = tuple(
        score_detections(
            name, np.nan_to_num(np.asarray(s, float), nan=-np.inf) >= threshold, w, profile
        )
        for name, s, w in corpus
    )
    return CorpusScore(
        threshold, best_total, normalised_score(best_total, window_count, profile), files
    )


def window_rows(
    timestamps: pd.DatetimeIndex, windows: Sequence[Sequence[str]]
) -> tuple[tuple[int, int], ...]:
    """Inclusive row ranges of windows given as inclusive timestamp limits."""
    rows = []
    for start, end in windows:
        left = int(timestamps.searchsorted(pd.Timestamp(start), side="left"))
        right = int(timestamps.searchsorted(pd.Timestamp(end), side="right")) - 1
        if right >= left:
            rows.append((left, right))
    return tuple(rows)


def load_corpus(root: Path) -> list[LabelledSeries]:
    """Every ``data/**/*.csv`` under a NAB directory that has an entry in the labels."""
    labels_path = root / "labels" / "combined_windows.json"
    try:
        labels = json.loads(labels_path.read_text())
    except (OSError, ValueError) as error:
        raise NabDataError(labels_path, f"cannot read labels ({error})") from None
    corpus = []
    for path in sorted((root / "data").glob("**/*.csv")):
        key = path.relative_to(root / "data").as_posix()
        if key not in labels:
            continue
        try:
            frame = pd.read_csv(path)
            timestamps = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"]))
            values = frame["value"].to_numpy(dtype=float)
        except (OSError, ValueError, KeyError) as error:
            raise NabDataError(path, f"not a NAB series ({error})") from None
        corpus.append(LabelledSeries(key, timestamps, values, window_rows(timestamps, labels[key])))
    return corpus
