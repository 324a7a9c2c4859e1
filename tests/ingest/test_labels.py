"""Late labels: ingested from any file, joined by prediction id, coverage tracked."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from monitoring_pipelines.ingest.labels import build_ground_truth, sync_label_files
from monitoring_pipelines.ingest.predictions import ingest_predictions
from tests.conftest import toy_frame, write_day

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


def _labels(home, name, ids, labels, when):
    path = home.home / "landing/toy/labels" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"prediction_id": ids, "label": labels, "label_timestamp": when}).to_parquet(
        path, index=False
    )
    return path


@pytest.fixture
def stored(con, toy, home):
    for d, seed in ((D1, 0), (D2, 1)):
        write_day(home, d, toy_frame(d, n=100, seed=seed))
        ingest_predictions(con, toy, home.resolve(toy.logs.path), home.quarantine_dir, d)
    return toy


def _sync(con, cfg, home):
    return sync_label_files(con, cfg, home.resolve(cfg.labels.path), home.quarantine_dir)


def test_coverage_counts_labelled_predictions_and_delays(con, stored, home):
    ids = [f"toy-{D1}-{i}" for i in range(40)]
    when = datetime(2026, 3, 11, 12)  # ten days later
    _labels(home, "batch1.parquet", ids, [i % 2 for i in range(40)], when)
    sync = _sync(con, stored, home)
    assert sync.rows == 40 and len(sync.files) == 1
    cov = build_ground_truth(con, stored, D1)
    assert (cov.predictions, cov.labelled) == (100, 40) and cov.coverage == pytest.approx(0.4)
    # delays against the prediction timestamps, computed independently in pandas
    preds = con.execute("SELECT prediction_id, timestamp FROM predictions__toy").df()
    delays = (when - preds.set_index("prediction_id").loc[ids, "timestamp"]).dt.total_seconds()
    assert cov.delay_p50_days == pytest.approx((delays / 86400).quantile(0.5))
    m = dict(
        con.execute(
            "SELECT metric, value FROM metrics WHERE family = 'labels' AND day = ?", [D1]
        ).fetchall()
    )
    assert m["label_coverage"] == pytest.approx(0.4) and m["labelled_rows"] == 40
    assert build_ground_truth(con, stored, D2).labelled == 0


def test_labels_joined_as_class_strings_latest_wins(con, stored, home):
    pid = f"toy-{D1}-3"
    _labels(home, "a.parquet", [pid], [0], datetime(2026, 3, 5))
    _labels(home, "b.parquet", [pid], [1], datetime(2026, 3, 9))  # a correction
    _sync(con, stored, home)
    build_ground_truth(con, stored, D1)
    assert con.execute(
        "SELECT label FROM ground_truth__toy WHERE prediction_id = ?", [pid]
    ).fetchall() == [("1",)]


def test_unchanged_files_are_not_reread_and_changed_ones_replace(con, stored, home):
    p = _labels(
        home, "a.parquet", [f"toy-{D1}-{i}" for i in range(10)], [1] * 10, datetime(2026, 3, 5)
    )
    assert len(_sync(con, stored, home).files) == 1
    assert _sync(con, stored, home).files == []
    _labels(home, "a.parquet", [f"toy-{D1}-{i}" for i in range(5)], [0] * 5, datetime(2026, 3, 6))
    import os

    os.utime(p, (p.stat().st_atime, p.stat().st_mtime + 5))
    assert len(_sync(con, stored, home).files) == 1
    assert con.execute("SELECT count(*), sum(label::INT) FROM labels__toy").fetchone() == (5, 0)


def test_bad_label_file_is_quarantined_others_go_on(con, stored, home):
    good = _labels(home, "good.parquet", [f"toy-{D2}-1"], [1], datetime(2026, 3, 4))
    bad = home.home / "landing/toy/labels/bad.parquet"
    pd.DataFrame({"id": ["x"], "label": [1]}).to_parquet(bad, index=False)
    sync = _sync(con, stored, home)
    assert sync.files == [str(good)]
    assert len(sync.errors) == 1 and sync.errors[0].column == "prediction_id"
    assert not bad.exists() and (home.quarantine_dir / "toy" / "bad.parquet").exists()
    assert con.execute('SELECT kind, file, "column" FROM ingestion_errors').fetchall() == [
        ("labels", str(bad), "prediction_id")
    ]
    assert build_ground_truth(con, stored, D2).labelled == 1


def test_rerunning_ground_truth_is_idempotent(con, stored, home):
    _labels(
        home,
        "a.parquet",
        [f"toy-{D1}-{i}" for i in range(10)],
        [1] * 10,
        datetime(2026, 3, 1, 23) + timedelta(hours=1),
    )
    _sync(con, stored, home)
    build_ground_truth(con, stored, D1)
    build_ground_truth(con, stored, D1)
    assert con.execute("SELECT count(*) FROM ground_truth__toy").fetchone()[0] == 10
    assert (
        con.execute(
            "SELECT count(*) FROM metrics WHERE family='labels' AND metric='label_coverage'"
        ).fetchone()[0]
        == 1
    )
