"""Hostile log files (hypothesis): every file is either ingested correctly or quarantined
with an error naming it; nothing else in the store changes; names are never SQL.

Two generators share the strategies: ``test_hostile_files_are_ingested_or_quarantined`` builds
a fresh store per example with generated (hostile) feature names in the model config;
``test_hostile_files_against_one_store`` throws many more files at one long-lived store (the
cheap path: one ingestion per example). Together they make >= 1,000 hostile files a run
(``HOSTILE_ISOLATED`` + ``HOSTILE_EXAMPLES``); the counts are printed at the end of the run.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.ingest.files import IngestionError
from monitoring_pipelines.ingest.predictions import ingest_predictions
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.store.connection import connect

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)
ISOLATED = int(os.environ.get("HOSTILE_ISOLATED", "100"))
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "920"))
ROLES = {
    "prediction_id",
    "timestamp",
    "prediction",
    "score",
    "model_version",
    "latency_ms",
    "error",
}
INJECTION = 'x"; DROP TABLE metrics; --'
SEEN = {"ingested": 0, "quarantined": 0, "config_rejected": 0, "crashes": 0}
RAN: set[str] = set()  # the generators that ran in this process

names = st.one_of(
    st.just(INJECTION),
    st.sampled_from(
        [
            "select",
            "from",
            "order",
            "group",
            "Day",
            "a b",
            "ünï©ødé",
            "'quoted'",
            '"dq"',
            "x.y",
            "1col",
        ]
    ),
    st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
        min_size=1,
        max_size=24,
    ),
    st.sampled_from(["Colour", "colour", "COLOUR"]),
).filter(lambda s: s.strip() and s.lower() not in ROLES and not s.startswith("_"))

value_kinds = st.sampled_from(["good", "nulls", "nan_inf", "text", "huge", "mixed"])
id_kinds = st.sampled_from(["good", "good", "good", "dup", "null", "int"])
ts_kinds = st.sampled_from(["good", "good", "out_of_range", "garbage", "null"])


def _values(kind: str, numeric: bool, n: int, rng) -> list:
    if kind == "good":
        return list(rng.normal(0, 1, n)) if numeric else list(rng.choice(["a", "b", "c"], n))
    if kind == "nulls":
        return [None] * n
    if kind == "nan_inf":
        return [[float("nan"), float("inf"), float("-inf"), 1e308][i % 4] for i in range(n)]
    if kind == "text":
        return [f"v{i}'\"; --" for i in range(n)]
    if kind == "huge":
        return ["z" * 100_000] + ["y"] * (n - 1)
    return [i if i % 2 else f"s{i}" for i in range(n)]  # mixed ints and strings


def _frame(data, features, n) -> pd.DataFrame:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    ids = [f"id-{i}" for i in range(n)]
    kind = data.draw(id_kinds, label="ids")
    if kind == "dup" and n > 1:
        ids[-1] = ids[0]
    elif kind == "null":
        ids[0] = None
    elif kind == "int":
        ids = list(range(1000, 1000 + n))
    start = datetime(2026, 3, 2)
    ts_kind = data.draw(ts_kinds, label="timestamps")
    ts = {
        "good": [start + timedelta(minutes=i) for i in range(n)],
        "out_of_range": ["0001-01-01 00:00:00", "9999-12-31 23:59:59"] * n,
        "garbage": ["yesterday-ish"] * n,
        "null": [None] * n,
    }[ts_kind][:n]
    score = rng.uniform(0, 1, n)
    frame = pd.DataFrame(
        {
            "prediction_id": ids,
            "timestamp": ts,
            "prediction": (score > 0.5).astype(int),
            "score": score,
        }
    )
    drop = data.draw(
        st.sets(st.sampled_from(["prediction", "score", "timestamp"]), max_size=1), label="drop"
    )
    frame = frame.drop(columns=list(drop))
    for name, numeric in features:
        if data.draw(st.booleans(), label=f"present {name!r}"):
            frame[name] = _values(data.draw(value_kinds, label=name), numeric, n, rng)
    for extra in data.draw(st.lists(names, max_size=2, unique=True), label="extras"):
        if extra not in frame.columns:
            frame[extra] = _values(data.draw(value_kinds), False, n, rng)
    return frame


def _write(frame: pd.DataFrame, path_stem: Path, fmt: str) -> Path:
    path = path_stem.with_suffix(f".{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        try:
            frame.to_parquet(path, index=False)
            return path
        except Exception:  # pyarrow refuses mixed-type columns: such files come as JSON
            path = path.with_suffix(".jsonl")
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        with path.open("w") as fh:
            for rec in frame.to_dict(orient="records"):
                fh.write(json.dumps(rec, default=str) + "\n")
    return path


def _state(con) -> tuple:
    return (
        con.execute(
            "SELECT * EXCLUDE (_ingested_at) FROM predictions__hostile "
            "WHERE _day = ? ORDER BY prediction_id",
            [D1],
        ).fetchall(),
        con.execute(
            "SELECT model, day, family, metric, subject, value FROM metrics "
            "WHERE day = ? ORDER BY ALL",
            [D1],
        ).fetchall(),
    )


@settings(
    max_examples=ISOLATED,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    data=st.data(),
    fmt=st.sampled_from(["parquet", "csv", "jsonl"]),
    features=st.lists(
        st.tuples(names, st.booleans()), min_size=1, max_size=3, unique_by=lambda t: t[0]
    ),
    n=st.integers(1, 12),
)
def test_hostile_files_are_ingested_or_quarantined(data, fmt, features, n):
    RAN.add("isolated")
    with tempfile.TemporaryDirectory() as tmp:
        paths = ProjectPaths.at(tmp)
        spec = {
            "name": "hostile",
            "task": "binary",
            "logs": {"path": "landing/{day}.*"},
            "reference": {"path": "ref.parquet"},
            "features": {
                "numeric": [f for f, num in features if num],
                "categorical": [f for f, num in features if not num],
            },
        }
        try:
            cfg = ModelConfig.model_validate(spec)
        except ValidationError as err:  # e.g. two features differing only by case
            assert "features" in str(err)
            SEEN["config_rejected"] += 1
            return
        con = connect(paths.database)
        good = pd.DataFrame(
            {
                "prediction_id": ["keep-1", "keep-2"],
                "timestamp": [datetime(2026, 3, 1, 1), datetime(2026, 3, 1, 2)],
                "prediction": [0, 1],
                "score": [0.2, 0.9],
            }
        )
        for name, numeric in features:
            good[name] = [1.5, 2.5] if numeric else ["a", "b"]
        _write(good, paths.home / "landing" / str(D1), "parquet")
        ingest_predictions(con, cfg, paths.resolve(cfg.logs.path), paths.quarantine_dir, D1)
        before = _state(con)
        frame = _frame(data, features, n)
        path = _write(frame, paths.home / "landing" / str(D2), fmt)
        try:
            res = ingest_predictions(
                con, cfg, paths.resolve(cfg.logs.path), paths.quarantine_dir, D2
            )
        except IngestionError as err:
            SEEN["quarantined"] += 1
            assert err.file == str(path) and not path.exists()
            assert (paths.quarantine_dir / "hostile" / path.name).exists()
            assert err.column is None or err.column in set(frame.columns) | {
                "prediction_id",
                "timestamp",
                "prediction",
                "score",
            }
            (n_err,) = con.execute("SELECT count(*) FROM ingestion_errors").fetchone()
            assert n_err == 1
            assert (
                con.execute(
                    "SELECT count(*) FROM predictions__hostile WHERE _day = ?", [D2]
                ).fetchone()[0]
                == 0
            )
        except Exception:
            SEEN["crashes"] += 1  # anything but a quarantine is a crash
            raise
        else:
            SEEN["ingested"] += 1
            assert res.rows == len(frame)
            stored = {
                r[0]
                for r in con.execute(
                    "SELECT prediction_id FROM predictions__hostile WHERE _day = ?", [D2]
                ).fetchall()
            }
            assert stored == {str(i) for i in frame["prediction_id"]}
        assert _state(con) == before
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert {"metrics", "ingestion_log", "predictions__hostile"} <= tables
        con.close()


BULK_FEATURES = [(INJECTION, True), ("select", True), ("ünï©ødé", False), ('"dq"', False)]


@pytest.fixture(scope="module")
def bulk_store():
    """One store for the whole bulk run: a model whose feature names are hostile, one good
    day (D1) stored, and the fingerprint of everything outside the day the examples write."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = ProjectPaths.at(tmp)
        cfg = ModelConfig.model_validate(
            {
                "name": "hostile",
                "task": "binary",
                "logs": {"path": "landing/{day}.*"},
                "reference": {"path": "ref.parquet"},
                "features": {
                    "numeric": [f for f, num in BULK_FEATURES if num],
                    "categorical": [f for f, num in BULK_FEATURES if not num],
                },
            }
        )
        con = connect(paths.database)
        good = pd.DataFrame(
            {
                "prediction_id": ["keep-1", "keep-2"],
                "timestamp": [datetime(2026, 3, 1, 1), datetime(2026, 3, 1, 2)],
                "prediction": [0, 1],
                "score": [0.2, 0.9],
            }
        )
        for name, numeric in BULK_FEATURES:
            good[name] = [1.5, 2.5] if numeric else ["a", "b"]
        _write(good, paths.home / "landing" / str(D1), "parquet")
        ingest_predictions(con, cfg, paths.resolve(cfg.logs.path), paths.quarantine_dir, D1)
        state = {"others": _fingerprint(con, "<> $d"), "day": _fingerprint(con, "= $d")}
        yield paths, cfg, con, state
        con.close()


def _fingerprint(con, day_clause: str) -> tuple:
    """Row counts and row-hash sums of the store's tables, restricted by day (one query)."""
    part = "(SELECT count(*) || ':' || coalesce(sum(hash(t)), 0) FROM (SELECT * EXCLUDE ({}) "
    part += "FROM {} WHERE {} " + day_clause + ") t)"
    return con.execute(
        "SELECT "
        + ", ".join(
            [
                part.format("_ingested_at", "predictions__hostile", "_day"),
                part.format("computed_at, run_id", "metrics", "day"),
                part.format("ingested_at", "ingestion_log", "day"),
                "(SELECT count(*) FROM duckdb_tables() WHERE NOT temporary)",
            ]
        ),
        {"d": D2},
    ).fetchone()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(data=st.data(), fmt=st.sampled_from(["parquet", "csv", "jsonl"]), n=st.integers(1, 8))
def test_hostile_files_against_one_store(bulk_store, data, fmt, n):
    RAN.add("one store")
    paths, cfg, con, state = bulk_store
    for old in (paths.home / "landing").glob(f"{D2}.*"):
        old.unlink()  # the previous example's file (ingested): one file per day here
    (errors_before,) = con.execute("SELECT count(*) FROM ingestion_errors").fetchone()
    frame = _frame(data, BULK_FEATURES, n)
    path = _write(frame, paths.home / "landing" / str(D2), fmt)
    try:
        res = ingest_predictions(con, cfg, paths.resolve(cfg.logs.path), paths.quarantine_dir, D2)
    except IngestionError as err:
        SEEN["quarantined"] += 1
        assert err.file == str(path) and not path.exists()
        assert (paths.quarantine_dir / "hostile").is_dir()
        # the day's previously stored rows, and everything else, are untouched
        assert _fingerprint(con, "= $d") == state["day"]
        (errors,) = con.execute("SELECT count(*) FROM ingestion_errors").fetchone()
        assert errors == errors_before + 1
    except Exception:
        SEEN["crashes"] += 1
        raise
    else:
        SEEN["ingested"] += 1
        assert res.rows == len(frame)
        stored = con.execute(
            "SELECT CAST(prediction_id AS VARCHAR) FROM predictions__hostile WHERE _day = ?", [D2]
        ).fetchall()
        assert sorted(r[0] for r in stored) == sorted(str(i) for i in frame["prediction_id"])
        state["day"] = _fingerprint(con, "= $d")
    assert _fingerprint(con, "<> $d") == state["others"]  # nothing outside the day changed


def test_injection_named_column_harms_nothing(home):
    """A feature and an extra column named like SQL, and values that are SQL: stored verbatim
    under their own names; the metrics table, and every other table, are still there."""
    spec = {
        "name": "inj",
        "task": "binary",
        "logs": {"path": "landing/{day}.parquet"},
        "reference": {"path": "ref.parquet"},
        "features": {"numeric": [INJECTION], "categorical": ["Robert'); DROP TABLE x;--"]},
    }
    cfg = ModelConfig.model_validate(spec)
    con = connect(home.database)
    frames = {}
    for d in (D1, D2):
        frame = pd.DataFrame(
            {
                "prediction_id": [f"{d}-{i}" for i in range(3)],
                "timestamp": [datetime.combine(d, datetime.min.time())] * 3,
                "prediction": [0, 1, 1],
                "score": [0.1, 0.7, 0.9],
                INJECTION: [1.0, 2.0, 3.0],
                "Robert'); DROP TABLE x;--": ["'; DELETE FROM metrics; --", "a", INJECTION],
                f"{INJECTION} extra": [INJECTION] * 3,
            }
        )
        frames[d] = frame
        _write(frame, home.home / "landing" / str(d), "parquet")
        res = ingest_predictions(con, cfg, home.resolve(cfg.logs.path), home.quarantine_dir, d)
        assert res.rows == 3
        new = [c.column for c in res.schema_changes if c.change == "new"]
        assert new == [f"{INJECTION} extra"]
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"metrics", "ingestion_log", "ingestion_errors", "predictions__inj"} <= tables
    stored = con.execute(
        f'SELECT "{INJECTION.replace(chr(34), chr(34) * 2)}", "Robert\'); DROP TABLE x;--" '
        "FROM predictions__inj ORDER BY prediction_id"
    ).fetchall()
    expected = [
        (v, c)
        for d in (D1, D2)
        for v, c in zip(frames[d][INJECTION], frames[d]["Robert'); DROP TABLE x;--"], strict=True)
    ]
    assert stored == expected
    (n_metrics,) = con.execute(
        "SELECT count(*) FROM metrics WHERE model = 'inj' AND family = 'ingestion'"
    ).fetchone()
    days = con.execute("SELECT DISTINCT day FROM metrics WHERE model = 'inj' ORDER BY 1")
    assert n_metrics > 0 and [r[0] for r in days.fetchall()] == [D1, D2]
    con.close()


def test_report_counts(record_property):
    """The counts of this run, printed in the terminal summary (tests/reliability/conftest.py)."""
    total = SEEN["ingested"] + SEEN["quarantined"]
    record_property("hostile_counts", dict(SEEN, total_files=total))
    print(f"hostile inputs: {dict(SEEN, total_files=total)}")
    assert SEEN["crashes"] == 0
    if RAN != {"isolated", "one store"}:  # deselected, or run by other pytest-xdist workers
        pytest.skip(
            f"generators run in this process: {sorted(RAN)}; the counts add up only where "
            "both ran (`make test` keeps a file's tests in one worker: --dist loadfile)"
        )
    assert total + SEEN["config_rejected"] >= min(ISOLATED + EXAMPLES, 1000)
