"""NAB scoring, standard profile, on hand-built cases (and the shared corpus loads)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from models.evaluation.nab import (
    STANDARD,
    best_threshold,
    load_corpus,
    normalised_score,
    probation_rows,
    scaled_sigmoid,
    score_detections,
)

ROWS = 2000  # probation: 300 rows
WINDOWS = ((1000, 1099), (1500, 1599))  # width 100 each


def detections_at(*rows: int) -> np.ndarray:
    detections = np.zeros(ROWS, dtype=bool)
    detections[list(rows)] = True
    return detections


def test_sigmoid_sign_convention() -> None:
    assert scaled_sigmoid(-1.0) == pytest.approx(2 / (1 + math.exp(-5)) - 1)  # about 0.987
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(0.5) < 0
    assert scaled_sigmoid(3.5) == -1.0


def test_probation_is_fifteen_percent_capped_at_750() -> None:
    assert probation_rows(2000) == 300
    assert probation_rows(4032) == 604
    assert probation_rows(22695) == 750


def test_perfect_detector_scores_100_and_null_scores_0() -> None:
    perfect = score_detections("f", detections_at(1000, 1500), WINDOWS)
    assert perfect.score == pytest.approx(2 * STANDARD.tp)
    assert normalised_score(perfect.score, 2) == pytest.approx(100.0)
    null = score_detections("f", np.zeros(ROWS, dtype=bool), WINDOWS)
    assert null.score == -2 * STANDARD.fn and null.false_negatives == 2
    assert normalised_score(null.score, 2) == 0.0


def test_one_false_positive_far_from_windows_costs_a_fp() -> None:
    # Before any window: full cost. Far after the first window (p > 3): full cost too.
    before = score_detections("f", detections_at(1000, 1500, 500), WINDOWS)
    assert before.score == pytest.approx(2 - 0.11) and before.false_positives == 1
    far_after = score_detections("f", detections_at(1000, 1500, 1450), WINDOWS)
    assert far_after.score == pytest.approx(2 + 0.11 * scaled_sigmoid(350 / 99))
    assert far_after.score == pytest.approx(2 - 0.11)


def test_false_positive_just_after_a_window_costs_little() -> None:
    result = score_detections("f", detections_at(1000, 1500, 1101), WINDOWS)
    assert -0.11 < result.score - 2 < 0  # p = 2/99: sigma near 0, still negative
    assert result.score - 2 == pytest.approx(0.11 * scaled_sigmoid(2 / 99))


def test_earliest_detection_in_window_counts_and_later_ones_are_free() -> None:
    start = score_detections("f", detections_at(1000), WINDOWS[:1])
    assert start.score == pytest.approx(1.0)
    edge = score_detections("f", detections_at(1099), WINDOWS[:1])
    assert 0 < edge.score < 0.05  # right edge: much less, but positive
    assert edge.score == pytest.approx(scaled_sigmoid(-1 / 100) / scaled_sigmoid(-1))
    middle = score_detections("f", detections_at(1050), WINDOWS[:1])
    assert edge.score < middle.score < start.score
    several = score_detections("f", detections_at(1050, 1060, 1099), WINDOWS[:1])
    assert several.score == pytest.approx(middle.score)
    assert several.false_positives == 0 and several.true_positives == 1


def test_probationary_detections_are_ignored() -> None:
    result = score_detections("f", detections_at(10, 299, 1000, 1500), WINDOWS)
    assert result.score == pytest.approx(2.0) and result.false_positives == 0


def test_threshold_sweep_picks_the_best_single_threshold() -> None:
    # File a: the window onset scores 0.9, noise peaks at 0.8 (10 false positives).
    # File b: its window onset scores 0.7. Best: 0.9 (miss b) beats 0.7 (10 FP in a)?
    # 0.9: 1 - 1 = 0; 0.7: 2 - 10 * 0.11 = 0.9 -> 0.7 wins.
    a = np.zeros(ROWS)
    a[1000] = 0.9
    a[400:410] = 0.8
    b = np.zeros(ROWS)
    b[1000] = 0.7
    corpus = [("a", a, WINDOWS[:1]), ("b", b, WINDOWS[:1])]
    result = best_threshold(corpus)
    assert result.threshold == 0.7
    assert result.total == pytest.approx(2 - 10 * 0.11)
    assert result.normalised == pytest.approx(100 * (0.9 + 2) / 4)
    assert [f.false_positives for f in result.files] == [10, 0]
    # With 20 false positives, missing b is better.
    a[400:420] = 0.8
    assert best_threshold(corpus).threshold == 0.9


def test_threshold_sweep_never_worse_than_detecting_nothing() -> None:
    noise = np.random.default_rng(0).random(ROWS)
    result = best_threshold([("n", noise, WINDOWS)])
    assert result.normalised >= 0.0


def test_shared_corpus_loads_with_its_windows(nab_dir: Path) -> None:
    corpus = load_corpus(nab_dir)
    assert len(corpus) == 7
    assert sum(len(series.windows) for series in corpus) == 18
    taxi = next(series for series in corpus if series.name == "realKnownCause/nyc_taxi.csv")
    first, last = taxi.windows[0]
    assert str(taxi.timestamps[first]) == "2014-10-30 15:30:00"
    assert str(taxi.timestamps[last]) == "2014-11-03 22:30:00"
