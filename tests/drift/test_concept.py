"""Concept drift of a classifier: the error rate's chi-squared test and effect, checked
against scipy on counts worked out by hand, and the reference counted once per version."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pytest
from scipy.stats import chi2_contingency

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.drift import concept
from monitoring_pipelines.drift.concept import concept_drift
from monitoring_pipelines.ingest.reference import STATE_TABLE

DAY = date(2025, 3, 3)


def _cfg() -> ModelConfig:
    return ModelConfig(
        name="clf",
        task="binary",
        logs={"path": "logs/{day}.parquet"},
        reference={"path": "ref.parquet"},
        features={"numeric": ["a"]},
        labels={"path": "labels/*.parquet"},
        positive_class="1",
    )


def _store(con, ref_wrong: int, day_wrong: int, rows: int = 1000) -> None:
    """A reference of ``rows`` rows, ``ref_wrong`` of them misclassified, and one day of
    ``rows`` labelled predictions, ``day_wrong`` wrong, plus unlabelled and NULL rows that
    must not count."""
    con.execute(
        "CREATE OR REPLACE TABLE reference__clf AS SELECT i * 1.0 AS a, i % 2 AS prediction, "
        f"CASE WHEN i < {ref_wrong} THEN 1 - i % 2 ELSE i % 2 END AS label "
        f"FROM range({rows}) t(i) UNION ALL SELECT 0.0, NULL, 1"
    )
    con.execute(
        "CREATE OR REPLACE TABLE predictions__clf AS SELECT 'p' || i AS prediction_id, "
        f"i * 1.0 AS a, i % 2 AS prediction, DATE '{DAY}' AS _day FROM range({rows + 50}) t(i)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE ground_truth__clf AS SELECT 'p' || i AS prediction_id, "
        f"CASE WHEN i < {day_wrong} THEN 1 - i % 2 ELSE i % 2 END AS label, DATE '{DAY}' AS _day "
        f"FROM range({rows}) t(i)"
    )


@pytest.mark.parametrize(("ref_wrong", "day_wrong"), [(100, 100), (100, 180), (50, 20)])
def test_classifier_error_shift_equals_scipy_on_hand_counts(ref_wrong, day_wrong):
    con = duckdb.connect()
    _store(con, ref_wrong, day_wrong)
    cfg = _cfg()
    got = {m.metric: m for m in concept_drift(con, cfg, [DAY], inputs_drifted=False)}
    table = np.array([[1000 - ref_wrong, ref_wrong], [1000 - day_wrong, day_wrong]])
    _, p, _, _ = chi2_contingency(table)
    effect = abs(day_wrong - ref_wrong) / 1000 / cfg.drift.concept_error_rate_alert
    assert got["error_rows"].value == 1000
    assert got["error_p_value"].value == pytest.approx(p, rel=1e-12)
    assert got["error_shift"].value == pytest.approx(effect, rel=1e-12)
    moved = p < cfg.drift.p_value and effect >= 1
    assert got["concept_drift"].value == float(moved)
    assert got["concept_drift"].status == ("warn" if moved else "ok")  # classifier: at most warn
    assert moved == (day_wrong == 180)  # 10 % -> 18 % wrong is a shift; 10 % -> 10 % is not


def test_reference_counts_are_kept_per_reference_version(tmp_path):
    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    _store(con, 100, 100)
    con.execute(
        f"CREATE TABLE {STATE_TABLE} (model VARCHAR, fingerprint VARCHAR, loaded_at TIMESTAMP)"
    )
    con.execute(f"INSERT INTO {STATE_TABLE} VALUES ('clf', 'f1', TIMESTAMP '2025-03-01')")
    cfg = _cfg()
    concept._REFERENCE.clear()
    first = {m.metric: m.value for m in concept_drift(con, cfg, [DAY], inputs_drifted=False)}
    # the reference changes under the same version: the kept counts are used
    con.execute("UPDATE reference__clf SET label = 1 - label WHERE a < 500")
    same = {m.metric: m.value for m in concept_drift(con, cfg, [DAY], inputs_drifted=False)}
    assert same == first
    # a new reference version: counted again (about half the rows now wrong)
    con.execute(f"UPDATE {STATE_TABLE} SET fingerprint = 'f2'")
    moved = {m.metric: m for m in concept_drift(con, cfg, [DAY], inputs_drifted=False)}
    assert moved["error_shift"].value > 1
    assert moved["concept_drift"].status == "warn"


def test_a_store_in_memory_is_counted_every_time():
    con = duckdb.connect()
    _store(con, 100, 100)
    con.execute(
        f"CREATE TABLE {STATE_TABLE} (model VARCHAR, fingerprint VARCHAR, loaded_at TIMESTAMP)"
    )
    con.execute(f"INSERT INTO {STATE_TABLE} VALUES ('clf', 'f1', TIMESTAMP '2025-03-01')")
    cfg = _cfg()
    first = {m.metric: m.value for m in concept_drift(con, cfg, [DAY], inputs_drifted=False)}
    con.execute("UPDATE reference__clf SET label = 1 - label WHERE a < 500")
    moved = {m.metric: m.value for m in concept_drift(con, cfg, [DAY], inputs_drifted=False)}
    assert moved["error_shift"] > first["error_shift"]
