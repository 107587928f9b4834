"""targets.json: planner settings round-trip, older files load, bad values are named."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.plans.targets import TargetConfig
from models.planning import PlannerSettings


def test_planner_settings_round_trip() -> None:
    planner = PlannerSettings(level=80, headroom=0.0, stabilisation=timedelta(hours=1), max_step=4)
    config = TargetConfig(name="web", planner=planner)
    assert TargetConfig.from_dict(config.to_dict()) == config


def test_a_file_saved_before_planner_settings_existed_gets_the_defaults() -> None:
    older = TargetConfig(name="web").to_dict()
    del older["planner"]
    assert TargetConfig.from_dict(older).planner == PlannerSettings()


def test_a_band_live_forecasts_do_not_have_is_refused_with_the_target_named() -> None:
    with pytest.raises(ValueError, match="'web': plans cover the 80 or 95 % band, got 90"):
        TargetConfig(name="web", planner=PlannerSettings(level=90))
