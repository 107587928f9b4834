"""IsolationForest over multivariate windows of a host's metrics.

Each point is a row of ``k`` metrics aligned on time; its feature vector is the
last ``lags`` rows flattened (so a break in how metrics move together, not only
an extreme value, stands out). The forest is fitted on the trailing ``history``
feature vectors and refitted every ``refit_every`` points, always on the past only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models.anomaly.base import StatefulMixin


class IsolationForestDetector(StatefulMixin):
    """Score = forest anomaly score above the training median, in units of (99th
    percentile - median) of the training scores: 0 for typical points, 1 for points as
    unusual as the top 1 % of the trailing history, larger for new territory.

    0 until ``min_history`` complete feature vectors exist. Rows with a NaN score 0
    and are left out of the history. Deterministic for a given ``random_state``, so
    chunked and point-by-point feeding give the same numbers.
    """

    def __init__(
        self,
        lags: int = 3,
        history: int = 2000,
        refit_every: int = 5000,
        min_history: int = 1000,
        n_estimators: int = 50,
        max_samples: int = 256,
        random_state: int = 0,
    ) -> None:
        if lags < 1 or history < 2 or refit_every < 1 or min_history < 2:
            raise ValueError("lags, history, refit_every and min_history must be positive")
        self.lags = lags
        self.history = history
        self.refit_every = refit_every
        self.min_history = min(min_history, history)
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state
        self.reset()

    def reset(self) -> None:
        self.rows_ = np.empty((0, 0))  # the last lags - 1 finite rows
        self.features_ = np.empty((0, 0))  # trailing feature vectors, oldest first
        self.count_ = 0  # feature vectors seen
        self.model_: CompiledForest | None = None
        self.mean_ = np.empty(0)  # whitening learnt at the last refit
        self.whitening_ = np.empty((0, 0))
        self.typical_ = 0.0  # median forest score of the training vectors
        self.spread_ = 1.0  # their 99th percentile minus the median

    def update(self, values: np.ndarray | float, timestamp: float = 0.0) -> float:
        row = np.atleast_1d(np.asarray(values, dtype=float))[None, :]
        return float(self.score(row)[0])

    def score(self, values: np.ndarray, timestamps: np.ndarray | None = None) -> np.ndarray:
        matrix = np.asarray(values, dtype=float)
        if matrix.ndim == 1:
            matrix = matrix[:, None]
        scores = np.zeros(len(matrix))
        finite = np.flatnonzero(np.isfinite(matrix).all(axis=1))
        if not len(finite):
            return scores
        if self.rows_.shape[1] != matrix.shape[1]:
            if self.count_ or len(self.rows_):
                raise ValueError("the number of metrics changed mid-stream")
            self.rows_ = np.empty((0, matrix.shape[1]))
        extended = np.vstack([self.rows_, matrix[finite]])
        usable = len(extended) - self.lags + 1
        self.rows_ = (
            extended[max(0, len(extended) - (self.lags - 1)) :] if self.lags > 1 else extended[:0]
        )
        if usable <= 0:
            return scores
        # Feature vector j = rows j .. j + lags - 1 flattened; it belongs to the last row.
        windows = np.lib.stride_tricks.sliding_window_view(extended, self.lags, axis=0)
        features = windows.transpose(0, 2, 1).reshape(usable, -1)
        owners = finite[len(finite) - usable :]
        if not self.features_.size:
            self.features_ = np.empty((0, features.shape[1]))
        start = 0
        while start < usable:
            # Refit (on the past only) at fixed counts, then score up to the next one.
            seen = self.count_
            if seen >= self.min_history and (
                seen % self.refit_every == 0 or seen == self.min_history
            ):
                self._refit()
            next_refit = (seen // self.refit_every + 1) * self.refit_every
            if seen < self.min_history:
                next_refit = min(next_refit, self.min_history)
            stop = min(usable, start + next_refit - seen)
            if self.model_ is not None:
                part = (features[start:stop] - self.mean_) @ self.whitening_
                raw = self.model_.anomaly_score(part)
                scores[owners[start:stop]] = np.maximum(raw - self.typical_, 0.0) / self.spread_
            self.features_ = np.vstack([self.features_, features[start:stop]])[-self.history :]
            self.count_ += stop - start
            start = stop
        return scores

    def _refit(self) -> None:
        from sklearn.ensemble import IsolationForest  # heavy: imported when first needed

        # Whitening (PCA to unit variance) turns "these metrics stopped moving together"
        # into an extreme value along a minor axis, which axis-parallel trees isolate well.
        self.mean_ = self.features_.mean(axis=0)
        centred = self.features_ - self.mean_
        variances, axes = np.linalg.eigh(np.cov(centred, rowvar=False).reshape(len(self.mean_), -1))
        floor = max(float(variances.max()), 1e-12) * 1e-6
        self.whitening_ = axes / np.sqrt(np.maximum(variances, floor))
        training = centred @ self.whitening_
        model = CompiledForest.from_sklearn(
            IsolationForest(
                n_estimators=self.n_estimators,
                max_samples=min(self.max_samples, len(self.features_)),
                random_state=self.random_state,
            ).fit(training)
        )
        raw = model.anomaly_score(training)
        self.typical_ = float(np.median(raw))
        self.spread_ = max(float(np.quantile(raw, 0.99)) - self.typical_, 1e-6)
        self.model_ = model


@dataclass(frozen=True, slots=True)
class CompiledForest:
    """A fitted scikit-learn IsolationForest as flat arrays, scored with numpy.

    scikit-learn spends about 10 ms of bookkeeping per ``score_samples`` call, which
    makes point-by-point scoring crawl; walking all trees at once over padded node
    arrays gives the same path lengths (same float32 comparisons) in microseconds.
    """

    # Flat arrays over (tree, node) pairs, node id = tree * width + node; leaves loop to
    # themselves so every walk can take max_depth steps.
    feature: np.ndarray  # input column tested at each node (0 at leaves: ignored)
    threshold: np.ndarray  # go left when x <= threshold
    left: np.ndarray  # flat id of the children
    right: np.ndarray
    leaf_length: np.ndarray  # path length credited when the walk ends at this node
    roots: np.ndarray  # flat id of each tree's root
    normaliser: float  # trees * average path length of max_samples points
    max_depth: int

    @classmethod
    def from_sklearn(cls, forest: Any) -> CompiledForest:
        trees = [estimator.tree_ for estimator in forest.estimators_]
        width = max(tree.node_count for tree in trees)
        shape = (len(trees), width)
        feature = np.full(shape, -1, dtype=np.int64)
        threshold = np.zeros(shape)
        left = np.zeros(shape, dtype=np.int64)
        right = np.zeros(shape, dtype=np.int64)
        leaf_length = np.zeros(shape)
        for index, (tree, columns) in enumerate(
            zip(trees, forest.estimators_features_, strict=True)
        ):
            count = tree.node_count
            is_leaf = tree.children_left[:count] < 0
            # Trees see a permutation of the columns: map back to input columns.
            feature[index, :count] = np.where(
                is_leaf, -1, np.asarray(columns)[tree.feature[:count]]
            )
            threshold[index, :count] = tree.threshold[:count]
            left[index, :count] = np.where(is_leaf, np.arange(count), tree.children_left[:count])
            right[index, :count] = np.where(is_leaf, np.arange(count), tree.children_right[:count])
            depth = tree.compute_node_depths()[:count]
            leaf_length[index, :count] = (
                depth + average_path_length(tree.n_node_samples[:count]) - 1.0
            )
        normaliser = len(trees) * float(average_path_length(np.array([forest.max_samples_]))[0])
        depth_bound = max(int(tree.max_depth) for tree in trees)
        offsets = (np.arange(len(trees)) * width)[:, None]
        return cls(
            np.maximum(feature, 0).ravel(),
            threshold.ravel(),
            (left + offsets).ravel(),
            (right + offsets).ravel(),
            leaf_length.ravel(),
            offsets.ravel(),
            normaliser,
            depth_bound,
        )

    def anomaly_score(self, rows: np.ndarray) -> np.ndarray:
        """scikit-learn's ``-score_samples``: about 0.5 normal, towards 1 isolated."""
        values = np.asarray(rows, dtype=np.float32).astype(np.float64)  # as sklearn's trees
        count, columns = values.shape
        node = np.broadcast_to(self.roots[None, :], (count, len(self.roots)))
        row_start = (np.arange(count) * columns)[:, None]  # flat cells: 1-D takes only
        flat_values = values.ravel()
        for _ in range(self.max_depth):
            tested = np.take(flat_values, row_start + np.take(self.feature, node))
            node = np.where(
                tested <= np.take(self.threshold, node),
                np.take(self.left, node),
                np.take(self.right, node),
            )
        lengths = np.take(self.leaf_length, node).sum(axis=1)
        if self.normaliser == 0:
            return np.ones(count)
        return 2.0 ** (-lengths / self.normaliser)


def average_path_length(samples: np.ndarray) -> np.ndarray:
    """Expected path length of an unsuccessful search in a BST of ``samples`` points."""
    samples = np.asarray(samples, dtype=float)
    result = np.zeros(samples.shape)
    result[samples == 2] = 1.0
    many = samples > 2
    n = samples[many]
    result[many] = 2.0 * (np.log(n - 1.0) + np.euler_gamma) - 2.0 * (n - 1.0) / n
    return result
