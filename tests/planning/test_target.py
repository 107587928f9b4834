from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest

from models.planning import InvalidTarget, MetricKind, ScalableTarget, TargetMode
from tests.planning.builders import make_target


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"per_unit": 0.0}, "per_unit", "positive"),
        ({"metric_kind": "utilisation", "per_unit": 120.0}, "per_unit", "100 %"),
        ({"minimum": -1}, "minimum", "0 or more"),
        ({"minimum": 5, "maximum": 3, "current": 4}, "maximum", "below the minimum"),
        ({"current": 30}, "current", "outside the range 2..20"),
        ({"desired": 1}, "desired", "outside the range"),
        ({"price_per_unit_hour": -0.1}, "price_per_unit_hour", "0 or more"),
        ({"warmup": timedelta(seconds=-1)}, "warmup", "negative"),
        ({"mode": "sometimes"}, "mode", "not one of"),
        ({"name": " "}, "name", "empty"),
        ({"metric": ""}, "metric", "metric"),
    ],
)
def test_invalid_targets_name_the_field_and_reason(overrides, field, words) -> None:
    with pytest.raises(InvalidTarget) as caught:
        make_target(**overrides)
    assert caught.value.field == field
    assert words in caught.value.reason
    assert field in str(caught.value)


def test_strings_become_enums() -> None:
    target = make_target(mode="forecast_only", metric_kind="utilisation", per_unit=60.0)
    assert target.mode is TargetMode.FORECAST_ONLY
    assert target.metric_kind is MetricKind.UTILISATION


def test_throughput_units_are_demand_over_capacity_per_unit() -> None:
    target = make_target(per_unit=500.0)
    assert np.allclose(target.units_needed(np.array([0.0, 1000.0, 2250.0])), [0, 2, 4.5])


def test_utilisation_units_scale_with_current_capacity() -> None:
    # 4 units at 90 % is 360 unit-percent of work: 6 units at the 60 % target.
    target = make_target(metric_kind="utilisation", per_unit=60.0, current=4)
    assert np.allclose(target.units_needed(np.array([90.0, 30.0])), [6.0, 2.0])


def test_negative_forecast_values_need_no_units() -> None:
    assert make_target().units_needed(np.array([-50.0]))[0] == 0.0


def test_dict_round_trip_through_json() -> None:
    target = make_target(executor="asg:web", cooldown=timedelta(minutes=7))
    again = ScalableTarget.from_dict(json.loads(json.dumps(target.to_dict())))
    assert again == target


def test_from_dict_names_missing_or_malformed_fields() -> None:
    data = make_target().to_dict()
    del data["maximum"]
    with pytest.raises(InvalidTarget, match="maximum: missing"):
        ScalableTarget.from_dict(data)
    data = make_target().to_dict() | {"warmup": "soon"}
    with pytest.raises(InvalidTarget, match="warmup: must be a number of seconds"):
        ScalableTarget.from_dict(data)
