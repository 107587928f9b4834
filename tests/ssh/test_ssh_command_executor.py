"""The SSH command scaling executor against a file on the real sshd host."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.scaling.base import ExecutionError, ScalingExecutor
from connectors.scaling.ssh_command import CommandTemplate, SshCommandExecutor, TemplateError
from connectors.ssh.collector import SshCollector


@pytest.fixture
def state_dir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="headroom-scale-"))
    directory.chmod(0o777)  # written by the remote test user
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def executor(collector: SshCollector, state_dir: Path) -> SshCommandExecutor:
    replicas = state_dir / "replicas"
    replicas.write_text("1\n")
    replicas.chmod(0o666)
    runs = state_dir / "runs"  # every remote command leaves a line here
    return SshCommandExecutor(
        collector.connection,
        name="web",
        set_command=f"sh -c 'echo set >> {runs}; echo {{count}} > {replicas}'",
        read_command=f"sh -c 'echo read >> {runs}; cat {replicas}'",
        minimum=1,
        maximum=10,
    )


def test_sets_and_reads_back(executor: SshCommandExecutor, state_dir: Path) -> None:
    assert isinstance(executor, ScalingExecutor)
    assert executor.target == "ssh:127.0.0.1/web"
    assert executor.current_capacity() == 1
    result = executor.set_capacity(4)
    assert (result.requested, result.previous, result.verified) == (4, 1, 4)
    assert result.succeeded
    assert (state_dir / "replicas").read_text() == "4\n"
    again = executor.set_capacity(4)  # idempotent
    assert (again.previous, again.verified) == (4, 4)


@pytest.mark.parametrize("bad", [0, 11, -1, "3", 3.0, True, None])
def test_invalid_count_is_rejected_before_anything_runs(
    executor: SshCommandExecutor, state_dir: Path, bad: object
) -> None:
    with pytest.raises(ExecutionError) as caught:
        executor.set_capacity(bad)  # type: ignore[arg-type]
    assert "web" in str(caught.value)
    assert (state_dir / "replicas").read_text() == "1\n"
    assert not (state_dir / "runs").exists()  # nothing ran, not even the read-back
    executor.set_capacity(2)
    assert (state_dir / "runs").read_text().split() == ["read", "set", "read"]


def test_command_failure_reports_status_and_first_stderr_line(collector: SshCollector) -> None:
    executor = SshCommandExecutor(
        collector.connection,
        name="web",
        set_command="sh -c 'echo first problem >&2; echo second >&2; exit 3' sh {count}",
        read_command="echo 1",
    )
    with pytest.raises(ExecutionError) as caught:
        executor.set_capacity(2)
    assert "status 3" in caught.value.reason
    assert "first problem" in caught.value.reason
    assert "second" not in caught.value.reason


def test_read_back_that_disagrees_is_a_failure(collector: SshCollector) -> None:
    executor = SshCommandExecutor(
        collector.connection, name="web", set_command="true {count}", read_command="echo 1"
    )
    with pytest.raises(ExecutionError, match="asked for 5 but the read-back command reports 1"):
        executor.set_capacity(5)


def test_unparsable_read_back_is_a_failure(collector: SshCollector) -> None:
    executor = SshCommandExecutor(
        collector.connection, name="web", set_command="true {count}", read_command="echo many"
    )
    with pytest.raises(ExecutionError, match="not one integer"):
        executor.current_capacity()


@pytest.mark.parametrize(
    ("template", "allow_count"),
    [
        ("docker compose up --scale web={host}", True),
        ("scale {count!r}", True),
        ("scale {count:>5}", True),
        ("scale {0}", True),
        ("scale {count", True),
        ("scale 'unterminated", True),
        ("", True),
        ("cat {count}", False),
    ],
)
def test_bad_templates_are_refused_at_configuration(template: str, allow_count: bool) -> None:
    with pytest.raises(TemplateError):
        CommandTemplate.parse(template, allow_count=allow_count)


def test_template_renders_quoted_argv() -> None:
    template = CommandTemplate.parse("docker compose up -d --scale web={count}")
    assert template.argv == ("docker", "compose", "up", "-d", "--scale", "web={count}")
    assert template.render(3) == "docker compose up -d --scale web=3"
    awk = CommandTemplate.parse("awk '{{print $1}}' /srv/n {count}")
    assert awk.render(2) == "awk '{print $1}' /srv/n 2"
    with pytest.raises(TemplateError):
        SshCommandExecutor(None, "web", "scale now", "echo 1")  # type: ignore[arg-type]
