"""The streaming contract of every detector: causal, chunk-invariant, resumable."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import numpy as np
import pytest

from models.anomaly import (
    CombinedDetector,
    FlatlineDetector,
    IQRDetector,
    IsolationForestDetector,
    LevelShiftDetector,
    RobustZScore,
    SeasonalBandDetector,
    TrendDetector,
)
from models.anomaly.isolation import CompiledForest
from tests.anomaly.conftest import timestamps

# Small windows so that every code path (warm-up, full windows, refits) runs in 900 points.
UNIVARIATE: dict[str, Callable[[], object]] = {
    "robust_z": lambda: RobustZScore(window=60, refresh=3, min_periods=5),
    "iqr": lambda: IQRDetector(window=60, refresh=5, min_periods=5),
    "seasonal": lambda: SeasonalBandDetector(period=3600.0, bin_seconds=600.0, window=50),
    "level_shift": lambda: LevelShiftDetector(recent=7, reference=40, refresh=3, min_periods=5),
    "flatline": lambda: FlatlineDetector(min_run=4),
    "trend": lambda: TrendDetector(window=50, refresh=3),
    "combined": lambda: CombinedDetector(memory=100, warmup=30),
    "combined_5h_memory": lambda: CombinedDetector(memory_seconds=5 * 3600.0, warmup=30),
    "forest_lags": lambda: IsolationForestDetector(
        lags=3, history=200, refit_every=150, min_history=60, n_estimators=10
    ),
}


def random_series(seed: int, n: int = 900) -> np.ndarray:
    """Noise, a random walk, a spike, a step, a flat run and missing values."""
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 1, n) + np.cumsum(rng.normal(0, 0.2, n))
    values[rng.integers(100, n)] += rng.uniform(5, 20)
    values[rng.integers(100, n // 2) :] += rng.uniform(-5, 5)
    flat = rng.integers(100, n - 60)
    values[flat : flat + 40] = values[flat]
    values[rng.choice(n, size=15, replace=False)] = np.nan
    return np.round(values, 1)  # ties and equal values, like real quantised metrics


@pytest.mark.parametrize("name", UNIVARIATE)
@pytest.mark.parametrize("seed", [1, 2])
def test_batch_equals_point_by_point_and_prefix(name: str, seed: int) -> None:
    values, stamps = random_series(seed), timestamps(900)
    batch = UNIVARIATE[name]().score(values, stamps)
    detector = UNIVARIATE[name]()
    one_by_one = np.array([detector.update(v, t) for v, t in zip(values, stamps, strict=True)])
    np.testing.assert_array_equal(batch, one_by_one)
    # Causality: scoring a truncated series gives exactly the prefix of the full scores.
    for cut in (1, 37, 333, 641):
        prefix = UNIVARIATE[name]().score(values[:cut], stamps[:cut])
        np.testing.assert_array_equal(prefix, batch[:cut])
    # Chunks of any size continue the stream.
    chunked = UNIVARIATE[name]()
    parts = [chunked.score(values[a:b], stamps[a:b]) for a, b in [(0, 5), (5, 400), (400, 900)]]
    np.testing.assert_array_equal(np.concatenate(parts), batch)
    assert np.isfinite(batch).all() and (batch >= 0).all()
    assert batch.max() > 0, "the planted spike, step and flat run must score somewhere"


@pytest.mark.parametrize("name", UNIVARIATE)
def test_state_saved_and_restored_resumes_the_stream(name: str) -> None:
    values, stamps = random_series(7), timestamps(900)
    full = UNIVARIATE[name]().score(values, stamps)
    first = UNIVARIATE[name]()
    first.score(values[:500], stamps[:500])
    state = pickle.loads(pickle.dumps(first.get_state()))  # what the console would save
    first.score(values[500:600], stamps[500:600])  # must not leak into the saved state
    resumed = UNIVARIATE[name]()
    resumed.set_state(state)
    np.testing.assert_array_equal(resumed.score(values[500:], stamps[500:]), full[500:])


def test_compiled_forest_matches_scikit_learn() -> None:
    from sklearn.ensemble import IsolationForest

    rng = np.random.default_rng(8)
    training, probe = rng.normal(size=(500, 4)), rng.normal(size=(300, 4)) * 2
    forest = IsolationForest(n_estimators=20, max_samples=128, random_state=3).fit(training)
    compiled = CompiledForest.from_sklearn(forest)
    np.testing.assert_allclose(
        compiled.anomaly_score(probe), -forest.score_samples(probe), rtol=1e-12
    )


def test_multivariate_forest_prefix_and_point_by_point() -> None:
    rng = np.random.default_rng(4)
    matrix = rng.normal(size=(700, 3))
    matrix[300:320, 2] = -matrix[300:320, 0] * 4
    matrix[[50, 400], 1] = np.nan
    make = lambda: IsolationForestDetector(  # noqa: E731
        lags=2, history=300, refit_every=100, min_history=80, n_estimators=10
    )
    batch = make().score(matrix)
    detector = make()
    np.testing.assert_array_equal(batch, [detector.update(row) for row in matrix])
    np.testing.assert_array_equal(make().score(matrix[:450]), batch[:450])
    assert batch[50] == 0 and batch[400] == 0  # rows with a NaN are not scored


def test_combined_score_and_strength_stay_in_unit_interval() -> None:
    values = random_series(11, 1500) * 1e6  # scale must not matter
    values[700:710] = 0.0
    scores = CombinedDetector().score_components(values, timestamps(1500))
    for series in (scores.score, scores.strength):
        assert np.isfinite(series).all()
        assert series.min() >= 0.0 and series.max() <= 1.0
    assert scores.score.max() > 0.5


def test_robust_z_scale_is_standard_deviations() -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(100, 2, 2000)
    values[1500] = 100 + 2 * 8  # eight sigmas
    scores = RobustZScore(window=288).score(values)
    assert 6.5 < scores[1500] < 9.5
    assert np.median(scores[300:1500]) < 1.0


def test_flatline_scores_above_one_only_beyond_longest_previous_run() -> None:
    values = np.array([1.0, 2.0, 2.0, 2.0, 3.0, 4.0] + [5.0] * 10)
    scores = FlatlineDetector(min_run=2, min_changes=0).score(values)
    # Longest finished run before the flat part: 3 points; the run of 5.0 passes it at 4.
    assert scores[6:9].max() <= 1.0
    assert scores[9] > 1.0 and scores[-1] == pytest.approx(10 / 3)


def test_seasonal_band_sees_an_off_profile_value_that_a_plain_z_score_misses() -> None:
    n = 288 * 8
    rng = np.random.default_rng(9)
    phase = 2 * np.pi * np.arange(n) / 288
    values = 100 + 30 * np.sin(phase) + rng.normal(0, 1, n)
    at = 288 * 7 + 72  # the daily peak (sin = 1) ...
    values[at : at + 3] = 100  # ... reads the daily mean: ordinary overall, odd for the hour
    seasonal = SeasonalBandDetector(period=86_400.0, bin_seconds=1800.0).score(
        values, timestamps(n)
    )
    plain = RobustZScore(window=288).score(values, timestamps(n))
    assert seasonal[at] > 6 * np.percentile(seasonal[288 * 2 : at], 99)
    assert plain[at] < 1.5


def test_flatline_ignores_a_metric_that_never_moved() -> None:
    always_zero = np.zeros(500)  # swap on a host without swap: constant is normal
    assert FlatlineDetector().score(always_zero).max() == 0.0
