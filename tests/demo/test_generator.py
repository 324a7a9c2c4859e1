"""The demo generator: formats, determinism, label timing and every injected event.

One small demo (45 days, 400 churn rows a day) is generated per module and checked against
independent computations (scipy, scikit-learn) and the manifest's claims.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import joblib
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from threadpoolctl import threadpool_limits

from monitoring_pipelines.config import ModelConfig, load_model_configs
from monitoring_pipelines.demo import demo_home, generate_demo
from monitoring_pipelines.demo.schedule import QUIET_DAYS
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.store.columns import expected_columns

REPO_CONFIGS = Path(__file__).resolve().parents[2] / "config" / "models"
END = dt.date(2026, 1, 31)
SMALL = {"end_day": END, "days": 45, "rows_per_day": 400, "seed": 7}
MODELS = ("churn", "eta", "intent")


def make_home(root: Path) -> ProjectPaths:
    """A monitoring home under ``root`` with the three demo configs copied in."""
    paths = ProjectPaths.at(root)
    paths.config_dir.mkdir(parents=True)
    for name in MODELS:
        shutil.copy(REPO_CONFIGS / f"{name}.yaml", paths.config_dir)
    return paths


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[ProjectPaths, dict]:
    paths = make_home(tmp_path_factory.mktemp("demo"))
    return paths, generate_demo(paths, **SMALL)


@pytest.fixture(scope="module")
def configs(demo) -> dict[str, ModelConfig]:
    return load_model_configs(demo[0].config_dir)


def read(path: Path) -> pd.DataFrame:
    """Any demo file through DuckDB, as a user's SQL would see it."""
    reader = {".parquet": "read_parquet", ".csv": "read_csv", ".jsonl": "read_json"}[path.suffix]
    return duckdb.sql(f"SELECT * FROM {reader}('{path}')").df()


def log_path(paths: ProjectPaths, cfg: ModelConfig, day: str) -> Path:
    return paths.resolve(cfg.logs.path.replace("{day}", day))


@pytest.fixture(scope="module")
def tables(demo, configs) -> dict[str, dict[str, pd.DataFrame]]:
    """Every model's logs by day, read once."""
    paths, manifest = demo
    return {
        name: {
            d: read(log_path(paths, cfg, d))
            for d, n in manifest["models"][name]["rows_by_day"].items()
            if n
        }
        for name, cfg in configs.items()
    }


def labels(paths: ProjectPaths, cfg: ModelConfig) -> pd.DataFrame:
    """All label files of a model, with the arrival day taken from the file name."""
    return pd.concat(
        read(f).assign(arrival=dt.date.fromisoformat(f.stem.removeprefix("labels_")))
        for f in sorted(paths.home.glob(cfg.labels.path))
    )


def events(manifest: dict, model: str, kind: str) -> list[dict]:
    return [e for e in manifest["events"] if e["model"] == model and e["kind"] == kind]


def days_between(first: str, last: str) -> list[str]:
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(a + dt.timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


def pooled(frames: dict[str, pd.DataFrame], days: list[str], column: str) -> pd.Series:
    return pd.concat([frames[d][column] for d in days if d in frames]).dropna()


def test_manifest_lists_every_kind_of_event_after_quiet_days(demo):
    paths, manifest = demo
    kinds = {e["kind"] for e in manifest["events"]}
    assert kinds == {
        "covariate_drift", "concept_drift", "degraded_segment", "fairness_gap", "broken_day",
        "volume_drop", "missing_day", "missing_labels",
    }  # fmt: skip
    first = dt.date.fromisoformat(manifest["first_day"])
    assert first == END - dt.timedelta(days=44)
    quiet_end = first + dt.timedelta(days=QUIET_DAYS)
    for e in manifest["events"]:
        assert (
            quiet_end
            <= dt.date.fromisoformat(e["first_day"])
            <= dt.date.fromisoformat(e["last_day"])
            <= END
        )
    assert json.loads((paths.home / "data" / "demo_manifest.json").read_text()) == manifest


def test_same_seed_same_files_and_regeneration_leaves_nothing_stale(demo, tmp_path):
    paths, manifest = demo
    other = make_home(tmp_path)
    generate_demo(other, **{**SMALL, "end_day": END + dt.timedelta(days=9), "seed": 8})
    reference = "data/reference/churn.parquet"
    assert (other.home / reference).read_bytes() != (paths.home / reference).read_bytes()
    again = generate_demo(other, **SMALL)

    def files(p: ProjectPaths) -> dict[str, bytes]:
        return {
            str(f.relative_to(p.home)): f.read_bytes()
            for f in sorted((p.home / "data").rglob("*"))
            if f.is_file() and f.name != "demo_manifest.json"
        }

    ours, theirs = files(paths), files(other)
    assert sorted(ours) == sorted(theirs)
    assert all(ours[name] == theirs[name] for name in ours), "same seed, different bytes"
    drop = {"generated_at"}
    assert {k: v for k, v in again.items() if k not in drop} == {
        k: v for k, v in manifest.items() if k not in drop
    }


def test_logs_labels_and_reference_have_the_configured_formats_and_columns(demo, configs, tables):
    paths, manifest = demo
    broken = {e["first_day"] for e in events(manifest, "churn", "broken_day")}
    for name, cfg in configs.items():
        expected = list(expected_columns(cfg))
        fmt = Path(cfg.logs.path).suffix
        for day, frame in tables[name].items():
            assert log_path(paths, cfg, day).suffix == fmt
            if not (name == "churn" and day in broken):
                assert sorted(frame.columns) == sorted(expected)
            assert str(frame[cfg.columns.timestamp].dtype).startswith("datetime64")
            assert (frame[cfg.columns.timestamp].dt.date.astype(str) == day).all()
            assert len(frame) == manifest["models"][name]["rows_by_day"][day]
        label_files = sorted(paths.home.glob(cfg.labels.path))
        assert label_files and all(f.suffix == fmt for f in label_files)
        assert list(read(label_files[0]).columns) == ["prediction_id", "label", "label_timestamp"]
        ref = pd.read_parquet(paths.resolve(cfg.reference.path))
        assert set(expected) - {"latency_ms", "error"} <= set(ref.columns) and "label" in ref
        assert len(ref) == manifest["models"][name]["reference_rows"] >= 3000
        stamps = ref[cfg.columns.timestamp]
        assert stamps.max() < pd.Timestamp(manifest["first_day"])
        assert stamps.min() >= pd.Timestamp(manifest["first_day"]) - pd.Timedelta(days=60)


def test_labels_arrive_within_their_delays_and_never_from_the_future(demo, configs):
    paths, manifest = demo
    for name, cfg in configs.items():
        policy = manifest["models"][name]["labels"]
        lab = labels(paths, cfg)
        assert lab["prediction_id"].is_unique
        pred_day = pd.to_datetime(lab["prediction_id"].str.split("-").str[1]).dt.date
        delay = (pd.to_datetime(lab["arrival"]) - pd.to_datetime(pred_day)).dt.days
        assert delay.between(policy["delay_min_days"], policy["delay_max_days"]).all()
        assert (lab["arrival"] <= END).all()
        assert (lab["label_timestamp"].dt.date == lab["arrival"]).all()
        assert manifest["models"][name]["label_rows"] == len(lab)
        if name == "churn":
            assert all(d.weekday() == 0 for d in lab["arrival"])
            assert (pred_day <= END - dt.timedelta(days=14)).all()
            lost = events(manifest, "churn", "missing_labels")[0]["first_day"]
            assert lost in manifest["models"]["churn"]["rows_by_day"]
            assert not (pred_day.astype(str) == lost).any()
            matured = manifest["models"]["churn"]["rows_by_day"]
            old = [d for d in matured if dt.date.fromisoformat(d) <= END - dt.timedelta(21)]
            got = pred_day.astype(str).isin(old).sum()
            expected = sum(matured[d] for d in old if d != lost)
            assert 0.88 < got / expected < 0.96  # ~8 % never arrive


def test_broken_day_has_renamed_column_null_burst_and_impossible_values(demo, configs, tables):
    paths, manifest = demo
    event = events(manifest, "churn", "broken_day")[0]
    frames = tables["churn"]
    bad = frames[event["first_day"]]
    assert "monthly_charge" in bad and "monthly_charges" not in bad
    assert 0.3 < bad["usage_gb"].isna().mean() < 0.5
    assert 0.05 < (bad["discount_pct"] == 250).mean() < 0.15
    assert (
        event["details"]["observed"]["null_burst"]["usage_gb"]["rows"]
        == bad["usage_gb"].isna().sum()
    )
    for day, frame in frames.items():
        if day != event["first_day"]:
            assert "monthly_charges" in frame and frame["usage_gb"].notna().all()
            assert frame["discount_pct"].between(0, 100).all()
            assert (frame["tenure_months"] >= 0).all()


def test_drift_appears_at_its_onset_and_not_before(demo, configs, tables):
    paths, manifest = demo
    first = dt.date.fromisoformat(manifest["first_day"])
    quiet = [(first + dt.timedelta(days=i)).isoformat() for i in range(QUIET_DAYS)]
    drifts = [e for e in manifest["events"] if e["kind"] == "covariate_drift"]
    assert {f for e in drifts for f in e["features"]} >= {
        "monthly_charges", "support_calls", "payment_method", "distance_km", "product",
    }  # fmt: skip
    for e in drifts:
        cfg = configs[e["model"]]
        frames = tables[e["model"]]
        ref = pd.read_parquet(paths.resolve(cfg.reference.path))
        during = days_between(e["first_day"], e["last_day"])
        for f in e["features"]:
            if f in cfg.features.numeric:
                assert stats.ks_2samp(ref[f], pooled(frames, quiet, f)).pvalue > 0.01
                assert stats.ks_2samp(ref[f], pooled(frames, during, f)).pvalue < 1e-6
            else:
                for days, check in ((quiet, lambda p: p > 0.01), (during, lambda p: p < 1e-6)):
                    table = pd.crosstab(
                        np.r_[np.zeros(len(ref)), np.ones(len(pooled(frames, days, f)))],
                        np.r_[ref[f].to_numpy(str), pooled(frames, days, f).to_numpy(str)],
                    )
                    assert check(stats.chi2_contingency(table).pvalue)


def test_missing_day_has_no_file_and_volume_drop_keeps_a_third(demo, configs):
    paths, manifest = demo
    missing = events(manifest, "intent", "missing_day")[0]["first_day"]
    assert not log_path(paths, configs["intent"], missing).exists()
    assert manifest["models"]["intent"]["missing_days"] == [missing]
    rows = manifest["models"]["eta"]["rows_by_day"]
    drop = events(manifest, "eta", "volume_drop")[0]
    low = days_between(drop["first_day"], drop["last_day"])
    assert 2 <= len(low) <= 3
    normal = np.median([n for d, n in rows.items() if d not in low])
    for day in low:
        assert 0.2 < len(read(log_path(paths, configs["eta"], day))) / normal < 0.4


def test_outputs_are_valid_and_failures_are_rare(demo, configs, tables):
    paths, manifest = demo
    for name, cfg in configs.items():
        frame = pd.concat(tables[name].values())
        failed = frame["error"].notna()
        assert 0.0005 < failed.mean() < 0.01
        assert frame.loc[failed, "prediction"].isna().all()
        assert frame.loc[~failed, "prediction"].notna().all()
        ok = frame[~failed]
        if name == "churn":
            assert ok["score"].between(0, 1).all()
            assert (ok["prediction"].astype(int) == (ok["score"] >= 0.5)).all()
        if name == "intent":
            scores = ok[list(cfg.columns.class_scores.values())]
            assert np.allclose(scores.sum(axis=1), 1.0)
            best = scores.idxmax(axis=1).map({v: k for k, v in cfg.columns.class_scores.items()})
            assert (best == ok["prediction"]).all()
        p99 = frame["latency_ms"].quantile(0.99)
        assert (
            0
            < frame["latency_ms"].median()
            < p99
            < (cfg.thresholds.health.max_latency_p99_ms or 500)
        )


def test_prediction_ids_are_unique_across_days_models_and_reference(demo, configs, tables):
    paths, manifest = demo
    ids = [
        pd.read_parquet(paths.resolve(c.reference.path))["prediction_id"] for c in configs.values()
    ]
    ids += [f["prediction_id"] for model in tables.values() for f in model.values()]
    everything = pd.concat(ids)
    assert everything.is_unique
    assert everything.str.fullmatch(r"(churn|eta|intent)-\d{8}-\d{6}").all()


def test_saved_model_reproduces_logged_outputs(demo, configs):
    threadpool_limits(1, "openmp")  # OpenMP on a busy machine is slow on small predictions
    paths, manifest = demo
    day = manifest["first_day"]
    for name, cfg in configs.items():
        entry = manifest["models"][name]
        model = joblib.load(paths.home / entry["model_path"])
        features = json.loads((paths.home / entry["features_path"]).read_text())["features"]
        assert sorted(features) == sorted(cfg.features.all)
        frame = read(log_path(paths, cfg, day))
        frame = frame[frame["error"].isna()]
        if name == "churn":
            np.testing.assert_allclose(
                model.predict_proba(frame[features])[:, 1], frame["score"], atol=1e-9
            )
        elif name == "eta":
            np.testing.assert_allclose(
                model.predict(frame[features]), frame["prediction"], atol=1e-9
            )
        else:
            proba = model.predict_proba(frame[features])
            for i, cls in enumerate(model.classes_):
                column = cfg.columns.class_scores[cls]
                np.testing.assert_allclose(proba[:, i], frame[column], atol=1e-9)


def test_label_events_change_the_models_errors_as_the_manifest_says(demo, configs, tables):
    paths, manifest = demo
    first = dt.date.fromisoformat(manifest["first_day"])
    quiet = {(first + dt.timedelta(days=i)).isoformat() for i in range(QUIET_DAYS)}

    def joined(name: str) -> pd.DataFrame:
        cfg = configs[name]
        frame = pd.concat(tables[name].values())
        frame = frame.merge(labels(paths, cfg), on="prediction_id")
        return frame.assign(day=frame["timestamp"].dt.date.astype(str)).dropna(
            subset=["prediction"]
        )

    eta = joined("eta")
    eta["abs_err"] = (eta["prediction"] - eta["label"]).abs()
    concept = events(manifest, "eta", "concept_drift")[0]
    during = eta["day"].isin(days_between(concept["first_day"], concept["last_day"]))
    assert eta.loc[during, "abs_err"].mean() > 2 * eta.loc[eta["day"].isin(quiet), "abs_err"].mean()
    for f in cfg_numeric(configs["eta"]):  # inputs unchanged during concept drift
        assert stats.ks_2samp(eta.loc[during, f], eta.loc[eta["day"].isin(quiet), f]).pvalue > 0.001
    seg = events(manifest, "eta", "degraded_segment")[0]
    during = eta["day"].isin(days_between(seg["first_day"], seg["last_day"]))
    lyon = eta["city"] == seg["segment"]["value"]
    assert eta.loc[during & lyon, "abs_err"].mean() > 2 * eta.loc[during & ~lyon, "abs_err"].mean()

    churn = joined("churn")
    gap = events(manifest, "churn", "fairness_gap")[0]
    during = churn["day"].isin(days_between(gap["first_day"], gap["last_day"]))
    young = churn[gap["group"]["column"]] == gap["group"]["value"]
    positives = churn["label"].astype(int) == 1

    def recall(mask: pd.Series) -> float:
        return (churn.loc[mask & positives, "prediction"].astype(int) == 1).mean()

    assert recall(during & young) < recall(during & ~young) - 0.05
    assert "gender" in churn and "gender" not in configs["churn"].features.all


def cfg_numeric(cfg: ModelConfig) -> list[str]:
    return [f for f in cfg.features.numeric if f != "hour"]


def test_short_window_keeps_only_events_after_its_quiet_days_and_other_models(tmp_path):
    paths, full = demo_home(tmp_path, days=20, rows_per_day=200)
    assert set(full["models"]) == set(MODELS)
    first = dt.date.fromisoformat(full["first_day"])
    assert full["events"], "the last ten days still hold events"
    for e in full["events"]:
        assert dt.date.fromisoformat(e["first_day"]) >= first + dt.timedelta(days=QUIET_DAYS)
    assert not events(full, "eta", "concept_drift")  # 32 days before the end: does not fit

    again = generate_demo(paths, end_day=END, days=20, rows_per_day=200, models=["eta"])
    assert set(again["models"]) == set(MODELS)
    assert again["models"]["churn"] == full["models"]["churn"]
    assert sorted(map(json.dumps, again["events"])) == sorted(map(json.dumps, full["events"]))
    with pytest.raises(ValueError, match="no demo"):
        generate_demo(paths, end_day=END, models=["fraud"])
