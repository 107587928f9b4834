"""Metric files: every bad input names file, line and reason; every format round-trips."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from connectors.files import (
    MetricFileError,
    format_timestamp,
    read_metric_file,
    write_samples,
)
from models.samples import SAMPLE_COLUMNS, Sample

T0 = 1_795_339_801.0  # 2026-11-22T09:30:01Z


def wide_frame(rows: int = 6) -> pd.DataFrame:
    index = pd.date_range("2026-11-22T09:30:00Z", periods=rows, freq="min", name="timestamp")
    return pd.DataFrame(
        {"cpu": np.linspace(1.5, 9.0, rows), "mem": np.arange(rows, dtype=float)}, index=index
    )


def write_text(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path: Path, **kwargs: object) -> MetricFileError:
    with pytest.raises(MetricFileError) as caught:
        read_metric_file(path, **kwargs)
    return caught.value


# -- the error message format -------------------------------------------------------------


def test_error_str_is_path_line_reason() -> None:
    assert str(MetricFileError(Path("a.csv"), 7, "bad")) == "a.csv:7: bad"
    assert str(MetricFileError(Path("a.csv"), None, "bad")) == "a.csv: bad"
    error = MetricFileError("x.csv", 3, "why")
    assert (error.path, error.line, error.reason) == (Path("x.csv"), 3, "why")


# -- bad input ----------------------------------------------------------------------------


def test_non_numeric_value_names_line_column_and_text(tmp_path: Path) -> None:
    path = write_text(
        tmp_path,
        "m.csv",
        "timestamp,cpu,mem\n2026-11-22T09:30:00Z,1,2\n2026-11-22T09:31:00Z,3,4\n"
        "2026-11-22T09:32:00Z,5,oops\n",
    )
    error = error_of(path)
    assert error.line == 4
    assert str(error) == f"{path}:4: non-numeric value 'oops' in column 'mem'"


def test_line_numbers_count_blank_lines_and_multiline_quoted_cells(tmp_path: Path) -> None:
    path = write_text(
        tmp_path,
        "m.csv",
        'timestamp,cpu,note\n\n2026-11-22T09:30:00Z,1,"two\nlines"\n\n2026-11-22T09:31:00Z,x,ok\n',
    )
    error = error_of(path)
    assert error.line == 6
    assert "non-numeric value 'x' in column 'cpu'" in error.reason


def test_unparseable_timestamp(tmp_path: Path) -> None:
    path = write_text(
        tmp_path,
        "m.csv",
        "Timestamp,cpu\n2026-11-22T09:30:00Z,1\n2026-11-22T09:31:00Z,2\n22/11/2026 9:32,3\n",
    )
    error = error_of(path)
    assert error.line == 4
    assert error.reason == "unparseable timestamp '22/11/2026 9:32' in column 'Timestamp'"


def test_missing_timestamp_cell(tmp_path: Path) -> None:
    path = write_text(tmp_path, "m.csv", "timestamp,cpu\n2026-11-22T09:30:00Z,1\n,2\n")
    error = error_of(path)
    assert (error.line, error.reason) == (3, "missing timestamp in column 'timestamp'")


def test_without_timestamp_column_the_first_column_must_hold_times(tmp_path: Path) -> None:
    path = write_text(tmp_path, "m.csv", "host,cpu\nweb-1,1\nweb-1,2\n")
    error = error_of(path)
    assert error.line == 2
    assert "no 'timestamp' column" in error.reason and "'web-1'" in error.reason


def test_first_column_is_used_when_it_holds_times(tmp_path: Path) -> None:
    path = write_text(tmp_path, "m.csv", "when,cpu\n2026-11-22 09:30:00,1\n2026-11-22 09:31:00,2\n")
    frame = read_metric_file(path)
    assert list(frame.columns) == ["cpu"]
    assert frame.index[0] == pd.Timestamp("2026-11-22T09:30:00Z")


def test_only_a_timestamp_column(tmp_path: Path) -> None:
    path = write_text(tmp_path, "m.csv", "timestamp\n2026-11-22T09:30:00Z\n2026-11-22T09:31:00Z\n")
    assert error_of(path).reason == "no value columns besides 'timestamp'"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        ("\n\n", "empty file"),
        ("timestamp,cpu\n", "no data rows (header only)"),
        ("timestamp,cpu\n2026-11-22T09:30:00Z,1\n", "only 1 data row; at least 2 are needed"),
    ],
)
def test_too_little_data(tmp_path: Path, text: str, reason: str) -> None:
    path = write_text(tmp_path, "m.csv", text)
    error = error_of(path)
    assert error.line is None
    assert error.reason.startswith(reason)
    assert str(error).startswith(f"{path}: ")


def test_min_rows_is_a_parameter(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    wide_frame(5).to_csv(path)
    assert len(read_metric_file(path, min_rows=5)) == 5
    assert "only 5 data rows; at least 6" in error_of(path, min_rows=6).reason
    one_row = write_text(tmp_path, "one.csv", "timestamp,cpu\n2026-11-22T09:30:00Z,1\n")
    assert len(read_metric_file(one_row, min_rows=1)) == 1


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("t,cpu\n2026-11-22T09:30:00Z,1,9\n2026-11-22T09:31:00Z,2\n", 2, "3 field(s)"),
        ("t,cpu\n2026-11-22T09:30:00Z,1\n2026-11-22T09:31:00Z\n", 3, "1 field(s)"),
    ],
)
def test_ragged_rows_are_refused_not_padded(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    error = error_of(write_text(tmp_path, "m.csv", text))
    assert error.line == line
    assert reason in error.reason and "the header has 2" in error.reason


def test_duplicate_column_names(tmp_path: Path) -> None:
    error = error_of(write_text(tmp_path, "m.csv", "timestamp,a,a\n1,2,3\n4,5,6\n"))
    assert (error.line, error.reason) == (1, "duplicate column 'a'")


def test_infinite_values_are_refused(tmp_path: Path) -> None:
    path = write_text(
        tmp_path, "m.csv", "timestamp,cpu\n2026-11-22T09:30:00Z,1\n2026-11-22T09:31:00Z,inf\n"
    )
    error = error_of(path)
    assert error.line == 3 and "non-finite value" in error.reason


def test_unknown_format_and_missing_and_unreadable_files(tmp_path: Path) -> None:
    assert "cannot read extension '.txt'" in error_of(write_text(tmp_path, "m.txt", "x")).reason
    assert error_of(tmp_path / "absent.csv").reason == "no such file"
    assert error_of(tmp_path).reason.startswith("cannot read")  # no extension at all
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert error_of(folder).reason == "not a regular file"
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage\x9c")
    assert error_of(binary).reason == "not a UTF-8 text file"
    bogus = write_text(tmp_path, "bogus.parquet", "definitely not parquet")
    assert error_of(bogus).reason.startswith("not a readable Parquet file")


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = write_text(tmp_path, "m.json", '[\n {"timestamp": 1, "cpu": 2},\n {"timestamp": 2,,}\n]')
    error = error_of(path)
    assert error.line == 3 and error.reason.startswith("invalid JSON")


def test_json_lines_errors_name_the_line(tmp_path: Path) -> None:
    path = write_text(
        tmp_path,
        "m.jsonl",
        '{"timestamp": "2026-11-22T09:30:00Z", "cpu": 1}\n\n'
        '{"timestamp": "2026-11-22T09:31:00Z", "cpu": "busy"}\n',
    )
    error = error_of(path)
    assert (error.line, error.reason) == (3, "non-numeric value 'busy' in column 'cpu'")
    broken = write_text(tmp_path, "b.jsonl", '{"timestamp": 1, "cpu": 1}\n{"timestamp": \n')
    assert error_of(broken).line == 2


def test_errors_without_lines_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps(
            [
                {"timestamp": "2026-11-22T09:30:00Z", "cpu": 1},
                {"timestamp": "2026-11-22T09:31:00Z", "cpu": "n/a!"},
            ]
        )
    )
    error = error_of(path)
    assert error.line is None
    assert error.reason == "row 2: non-numeric value 'n/a!' in column 'cpu'"


def test_unrecognised_json_layout(tmp_path: Path) -> None:
    assert (
        "one object per row" in error_of(write_text(tmp_path, "a.json", "[[1, 2], [3, 4]]")).reason
    )
    assert "unrecognised JSON layout" in error_of(write_text(tmp_path, "b.json", '{"a": 1}')).reason


def test_unknown_column_lists_the_available_ones(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    wide_frame().to_csv(path)
    error = error_of(path, column="disk")
    assert error.reason == "column 'disk' not found; available: cpu, mem"


# -- what is accepted ---------------------------------------------------------------------


def test_missing_values_are_nan_not_errors(tmp_path: Path) -> None:
    path = write_text(
        tmp_path,
        "m.csv",
        "timestamp,a,b,c\n2026-11-22T09:30:00Z,,NaN,null\n2026-11-22T09:31:00Z,1,2,3\n",
    )
    frame = read_metric_file(path)
    assert frame.iloc[0].isna().all()
    assert frame.iloc[1].tolist() == [1.0, 2.0, 3.0]


def test_timestamps_zones_epochs_and_order(tmp_path: Path) -> None:
    iso = write_text(
        tmp_path,
        "iso.csv",
        "timestamp,v\n2026-11-22T10:31:00+01:00,2\n2026-11-22 09:30:00,1\n"
        "2026-11-22T09:32:00.250Z,3\n2026-11-22T09:30:00Z,4\n",
    )
    frame = read_metric_file(iso)
    assert str(frame.index.tz) == "UTC" and frame.index.name == "timestamp"
    assert frame.index.is_monotonic_increasing
    # Naive means UTC; the duplicate 09:30 is kept, in file order.
    assert frame["v"].tolist() == [1.0, 4.0, 2.0, 3.0]
    assert frame.index[-1] == pd.Timestamp("2026-11-22T09:32:00.250Z")

    seconds = write_text(tmp_path, "s.csv", f"timestamp,v\n{T0},1\n{T0 + 0.5},2\n")
    millis = write_text(
        tmp_path, "ms.csv", f"timestamp,v\n{T0 * 1000:.0f},1\n{T0 * 1000 + 500:.0f},2\n"
    )
    expected = pd.DatetimeIndex(
        ["2026-11-22T09:30:01Z", "2026-11-22T09:30:01.5Z"], name="timestamp"
    ).as_unit("ns")
    assert read_metric_file(seconds).index.equals(expected)
    assert read_metric_file(millis).index.equals(expected)


def test_epoch_out_of_range_is_an_error(tmp_path: Path) -> None:
    path = write_text(tmp_path, "m.csv", "timestamp,v\n1,1\n1e300,2\n")
    error = error_of(path)
    assert error.line == 3 and "out of range" in error.reason


def test_result_is_float_and_sorted(tmp_path: Path) -> None:
    path = write_text(
        tmp_path, "m.csv", "timestamp,n\n2026-11-22T09:31:00Z,2\n2026-11-22T09:30:00Z,1\n"
    )
    frame = read_metric_file(path)
    assert frame["n"].dtype == np.float64
    assert frame["n"].tolist() == [1.0, 2.0]


# -- round trips --------------------------------------------------------------------------


def assert_same_wide(frame: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(frame, expected, check_freq=False, check_index_type=False)
    assert frame.index.dtype == "datetime64[ns, UTC]"


@pytest.mark.parametrize(
    "writer",
    [
        ("csv", lambda df, p: df.to_csv(p)),
        ("csv", lambda df, p: df.reset_index().to_csv(p, index=False)),
        ("parquet", lambda df, p: df.to_parquet(p)),
        ("pq", lambda df, p: df.reset_index().to_parquet(p)),
        ("json", lambda df, p: df.reset_index().to_json(p, orient="records", date_format="iso")),
        ("json", lambda df, p: df.to_json(p, orient="columns", date_format="iso")),
        ("json", lambda df, p: df.to_json(p, orient="split", date_format="iso")),
        ("json", lambda df, p: df.to_json(p, orient="index", date_format="iso")),
        ("json", lambda df, p: df.to_json(p, orient="table")),
        (
            "json",
            lambda df, p: p.write_text(
                json.dumps(
                    {
                        "timestamp": [int(t.timestamp() * 1000) for t in df.index],
                        **{c: df[c].tolist() for c in df},
                    }
                )
            ),
        ),
        (
            "jsonl",
            lambda df, p: df.reset_index().to_json(
                p, orient="records", lines=True, date_format="iso"
            ),
        ),
        (
            "ndjson",
            lambda df, p: df.reset_index().to_json(
                p, orient="records", lines=True, date_format="iso"
            ),
        ),
    ],
    ids=[
        "csv-index",
        "csv-column",
        "parquet-index",
        "pq-column",
        "json-records",
        "json-columns",
        "json-split",
        "json-index",
        "json-table",
        "json-lists-epoch-ms",
        "jsonl",
        "ndjson",
    ],
)
def test_wide_formats_round_trip(tmp_path: Path, writer: tuple) -> None:
    suffix, write = writer
    expected = wide_frame()
    expected.loc[expected.index[2], "cpu"] = math.nan  # a gap survives every format
    path = tmp_path / f"wide.{suffix}"
    write(expected, path)
    assert_same_wide(read_metric_file(path), expected)


def test_json_lines_in_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "wide.json"
    wide_frame().reset_index().to_json(path, orient="records", lines=True, date_format="iso")
    assert_same_wide(read_metric_file(path), wide_frame())


def samples_for(hosts: tuple[str, ...], metrics: tuple[str, ...], rows: int) -> list[Sample]:
    return [
        Sample(T0 + i * 10.0, "local", host, metric, float(i) + 0.25)
        for i in range(rows)
        for host in hosts
        for metric in metrics
    ]


def test_write_csv_format_exactly(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    count = write_samples(path, [Sample(T0, "local", "web-1", "net.rx.bytes:eth0", 1234.5)])
    assert count == 1
    assert path.read_text() == (
        "timestamp,source,host,metric,value\n"
        "2026-11-22T09:30:01.000Z,local,web-1,net.rx.bytes:eth0,1234.5\n"
    )


def test_format_timestamp_rounds_to_the_millisecond() -> None:
    assert format_timestamp(T0 + 0.0004) == "2026-11-22T09:30:01.000Z"
    assert format_timestamp(T0 + 0.9996) == "2026-11-22T09:30:02.000Z"
    assert format_timestamp(T0 + 0.123) == "2026-11-22T09:30:01.123Z"


def test_parquet_has_a_utc_timestamp_type(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    assert write_samples(path, samples_for(("a",), ("cpu.percent",), 3)) == 3
    schema = pq.read_schema(path)
    assert schema.names == list(SAMPLE_COLUMNS)
    assert str(schema.field("timestamp").type) == "timestamp[ms, tz=UTC]"
    table = pq.read_table(path).to_pandas()
    assert table["timestamp"].iloc[0] == pd.Timestamp("2026-11-22T09:30:01Z")


@pytest.mark.parametrize("suffix", ["csv", "parquet", "pq"])
def test_long_files_pivot_to_host_slash_metric(tmp_path: Path, suffix: str) -> None:
    samples = samples_for(("web-1", "web-2"), ("cpu.percent", "net.rx.bytes:eth0"), 4)
    path = tmp_path / f"long.{suffix}"
    assert write_samples(path, iter(samples)) == len(samples)  # any iterable, even a generator
    frame = read_metric_file(path)
    assert sorted(frame.columns) == [
        "web-1/cpu.percent",
        "web-1/net.rx.bytes:eth0",
        "web-2/cpu.percent",
        "web-2/net.rx.bytes:eth0",
    ]
    assert len(frame) == 4
    assert frame["web-2/net.rx.bytes:eth0"].tolist() == [0.25, 1.25, 2.25, 3.25]
    assert frame.index[1] == pd.Timestamp("2026-11-22T09:30:11Z")


def test_column_picks_one_series_and_a_bare_metric_matches_a_single_host(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    write_samples(path, samples_for(("web-1",), ("cpu.percent", "mem.used.percent"), 3))
    assert list(read_metric_file(path, column="web-1/cpu.percent").columns) == ["web-1/cpu.percent"]
    assert list(read_metric_file(path, column="mem.used.percent").columns) == [
        "web-1/mem.used.percent"
    ]
    two_hosts = tmp_path / "two.csv"
    write_samples(two_hosts, samples_for(("a", "b"), ("cpu.percent",), 3))
    assert "matches several columns" in error_of(two_hosts, column="cpu.percent").reason


def test_long_duplicates_are_kept_as_rows(tmp_path: Path) -> None:
    samples = [
        Sample(T0, "local", "a", "cpu.percent", 1.0),
        Sample(T0, "ssh", "a", "cpu.percent", 2.0),  # same instant from two sources
        Sample(T0 + 1, "local", "a", "cpu.percent", 3.0),
    ]
    path = tmp_path / "dup.csv"
    write_samples(path, samples)
    frame = read_metric_file(path)
    assert frame["a/cpu.percent"].tolist() == [1.0, 2.0, 3.0]


def test_long_file_bad_value_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    write_samples(path, samples_for(("a",), ("cpu.percent",), 3))
    lines = path.read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ",12%"
    path.write_text("\n".join(lines) + "\n")
    error = error_of(path)
    assert (error.line, error.reason) == (4, "non-numeric value '12%' in column 'value'")


def test_write_refuses_unknown_extension_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(MetricFileError, match="cannot write extension '.xlsx'"):
        write_samples(tmp_path / "out.xlsx", samples_for(("a",), ("cpu.percent",), 2))
    assert list(tmp_path.iterdir()) == []


def test_write_to_a_missing_folder_is_a_metric_file_error(tmp_path: Path) -> None:
    with pytest.raises(MetricFileError, match="cannot write"):
        write_samples(tmp_path / "missing" / "out.csv", [])


def test_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    def exploding() -> object:
        yield from samples_for(("a",), ("cpu.percent",), 5)
        raise KeyboardInterrupt

    target = tmp_path / "out.csv"
    target.write_text("previous content\n")
    with pytest.raises(KeyboardInterrupt):
        write_samples(target, exploding())
    assert target.read_text() == "previous content\n"  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary left behind
