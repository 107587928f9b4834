"""Shell metacharacters in labels, parameters and counts never reach a shell as code."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.scaling.base import ExecutionError
from connectors.scaling.ssh_command import SshCommandExecutor
from connectors.ssh.collector import SshCollector
from connectors.ssh.custom import CustomMetric


@pytest.fixture
def marker() -> Iterator[Path]:
    """A path the remote test user COULD create, if any injection ran."""
    directory = Path(tempfile.mkdtemp(prefix="headroom-pwn-"))
    directory.chmod(0o777)
    path = directory / "pwned"
    yield path
    path.unlink(missing_ok=True)
    directory.rmdir()


def attacks(marker: Path) -> list[str]:
    return [
        f"x; touch {marker}",
        f"$(touch {marker})",
        f"`touch {marker}`",
        f"a' ; touch {marker}; echo '",
        f'a" ; touch {marker}; echo "',
        f"| touch {marker}",
        f"&& touch {marker}",
        f"\\'; touch {marker} #",
    ]


def test_host_label_is_data_only(collector: SshCollector, marker: Path) -> None:
    for label in attacks(marker):
        collector.host = label
        samples = collector.collect()
        assert {s.host for s in samples} == {label}
    assert not marker.exists()


def test_custom_metric_parameters_arrive_as_literal_arguments(
    collector: SshCollector, marker: Path
) -> None:
    for attack in attacks(marker):
        metric = CustomMetric("echo", "printf %s {value}", params={"value": attack})
        result = collector.connection.run(metric.command_line())
        assert result.exit_status == 0
        assert result.stdout == attack  # one argument, exactly as given
    # Inside a fixed sh -c script the parameter is $1, never pasted into the script.
    metric = CustomMetric(
        "len", "sh -c 'printf %s \"$1\" | wc -c' sh {value}", params={"value": attacks(marker)[1]}
    )
    collector.custom = (metric,)
    values = {s.metric: s.value for s in collector.collect()}
    assert values["custom.len"] == len(attacks(marker)[1])
    assert not marker.exists()


def test_scaling_count_and_target_name_cannot_inject(
    collector: SshCollector, marker: Path, tmp_path: Path
) -> None:
    state = Path(tempfile.mkdtemp(prefix="headroom-scale-"))
    state.chmod(0o777)
    replicas = state / "replicas"
    replicas.write_text("1\n")
    replicas.chmod(0o666)
    try:
        executor = SshCommandExecutor(
            collector.connection,
            name=f"web; touch {marker}",
            set_command=f"sh -c 'echo \"$1\" > {replicas}' sh {{count}}",
            read_command=f"cat {replicas}",
        )
        for bad in (f"1; touch {marker}", "$(id)", 2.0, None, True, [3]):
            with pytest.raises(ExecutionError):
                executor.set_capacity(bad)  # type: ignore[arg-type]
        assert replicas.read_text() == "1\n"  # rejected before anything ran
        assert executor.set_capacity(2).verified == 2
        assert not marker.exists()
    finally:
        replicas.unlink(missing_ok=True)
        os.rmdir(state)
