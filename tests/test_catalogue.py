from __future__ import annotations

import pytest

from models.catalogue import (
    CATALOGUE,
    Kind,
    UnknownMetric,
    describe,
    metric_name,
    spec_for,
    split_name,
)


def test_instance_names_resolve_to_their_family() -> None:
    assert split_name("net.rx.bytes:eth0") == ("net.rx.bytes", "eth0")
    assert split_name("disk.used.percent:/var/lib") == ("disk.used.percent", "/var/lib")
    assert spec_for("net.rx.bytes:eth0").kind is Kind.COUNTER
    assert metric_name("cpu.core.percent", "3") == "cpu.core.percent:3"


def test_unknown_family_is_a_clear_error() -> None:
    with pytest.raises(UnknownMetric, match="nope.metric"):
        spec_for("nope.metric:1")


def test_every_entry_is_complete() -> None:
    for family, spec in CATALOGUE.items():
        assert spec.family == family
        assert spec.description
        if spec.unit == "%":
            assert spec.display_max == 100.0
        if spec.bounded:
            assert spec.unit == "%"


def test_describe_names_instance_and_unit() -> None:
    assert describe("net.rx.bytes:eth0") == "Bytes received (eth0) [B/s]"


def test_custom_metrics_get_a_generic_gauge_entry() -> None:
    spec = spec_for("custom.queue_length:web-1")
    assert spec.kind is Kind.GAUGE and spec.display_max is None
    assert describe("custom.queue_length") == "Custom metric queue_length"
    with pytest.raises(UnknownMetric):
        spec_for("custom.")
