"""Starter suites: GX 1.x JSON format, severities, and what is inferred from the reference."""

from __future__ import annotations

import json

import great_expectations as gx
import numpy as np
import pandas as pd
import pytest

from monitoring_pipelines.config import ModelConfig, load_model_config
from monitoring_pipelines.quality import SuiteError, load_suite, suggest_suite, write_suite
from monitoring_pipelines.store.columns import expected_columns
from tests.quality.conftest import REPO


def find(
    suite: dict, kind: str, column: str | None = None, severity: str | None = None, **kwargs
) -> list[dict]:
    """Expectations of type ``expect_<kind>`` on ``column`` (of ``severity``, if given) whose
    kwargs include ``kwargs``."""
    return [
        e
        for e in suite["expectations"]
        if e["type"] == f"expect_{kind}"
        and e["kwargs"].get("column") == column
        and severity in (None, e["severity"])
        and all(e["kwargs"].get(k) == v for k, v in kwargs.items())
    ]


def one(
    suite: dict, kind: str, column: str | None = None, severity: str | None = None, **kwargs
) -> dict:
    found = find(suite, kind, column, severity, **kwargs)
    assert len(found) == 1, (kind, column, kwargs, found)
    return found[0]


def test_suite_round_trips_through_json_and_files(churn_suite: dict, tmp_path) -> None:
    text = json.dumps(churn_suite)
    assert gx.ExpectationSuite(**json.loads(text)).to_json_dict() == churn_suite
    path = write_suite(churn_suite, tmp_path / "expectations" / "churn.json")
    assert load_suite(path).to_json_dict() == churn_suite
    assert json.loads(path.read_text()) == churn_suite


def test_every_expectation_has_a_severity_in_gx_field_and_meta(churn_suite: dict) -> None:
    for e in churn_suite["expectations"]:
        assert e["severity"] in ("critical", "warning")
        assert e["meta"]["severity"] == e["severity"]
        assert e["meta"]["reason"]
    sevs = {e["severity"] for e in churn_suite["expectations"]}
    assert sevs == {"critical", "warning"}


def test_structural_expectations_are_critical(churn_cfg: ModelConfig, churn_suite: dict) -> None:
    for col in expected_columns(churn_cfg):
        assert one(churn_suite, "column_to_exist", col)["severity"] == "critical"
        assert one(churn_suite, "column_values_to_be_in_type_list", col)["severity"] == "critical"
    assert one(churn_suite, "column_values_to_be_unique", "prediction_id")["severity"] == "critical"
    not_null = one(churn_suite, "column_values_to_not_be_null", "prediction_id")
    assert "mostly" not in not_null["kwargs"] and not_null["severity"] == "critical"
    score = one(churn_suite, "column_values_to_be_between", "score", min_value=0, max_value=1)
    assert score["severity"] == "critical" and "mostly" not in score["kwargs"]
    ts = one(churn_suite, "column_values_to_be_between", "timestamp")
    assert ts["kwargs"]["min_value"] == {"$PARAMETER": "day_start"}
    assert ts["kwargs"]["max_value"] == {"$PARAMETER": "day_end"}
    assert ts["kwargs"]["strict_max"] is True and ts["severity"] == "critical"
    pred = one(churn_suite, "column_values_to_be_in_set", "prediction")
    assert sorted(pred["kwargs"]["value_set"]) == ["0", "1"]


def test_ranges_signs_and_categories_from_reference(
    churn_suite: dict, churn_reference: pd.DataFrame
) -> None:
    ref = churn_reference
    warn = one(churn_suite, "column_values_to_be_between", "monthly_charges", severity="warning")
    lo, hi, width = (
        ref.monthly_charges.min(),
        ref.monthly_charges.max(),
        np.ptp(ref.monthly_charges),
    )
    assert warn["kwargs"]["mostly"] == 0.99
    assert warn["kwargs"]["min_value"] == pytest.approx(lo - 0.1 * width, rel=1e-4)
    assert warn["kwargs"]["max_value"] == pytest.approx(hi + 0.1 * width, rel=1e-4)
    assert warn["kwargs"]["min_value"] <= lo and warn["kwargs"]["max_value"] >= hi
    # tenure starts at 0: non-negative by nature; monthly charges sit far from 0: no sign rule
    sign = one(churn_suite, "column_values_to_be_between", "tenure_months", "critical", min_value=0)
    assert "max_value" not in sign["kwargs"] and "mostly" not in sign["kwargs"]
    assert not find(
        churn_suite, "column_values_to_be_between", "monthly_charges", "critical", min_value=0
    )
    pct = one(churn_suite, "column_values_to_be_between", "discount_pct", max_value=100)
    assert pct["severity"] == "critical" and pct["kwargs"]["min_value"] == 0
    plan = one(churn_suite, "column_values_to_be_in_set", "plan")
    assert plan["severity"] == "warning" and plan["kwargs"]["mostly"] == 0.99
    assert sorted(plan["kwargs"]["value_set"]) == sorted(ref.plan.unique())


def test_null_rate_thresholds_follow_the_reference(
    churn_suite: dict, churn_reference: pd.DataFrame
) -> None:
    p0 = churn_reference.discount_pct.isna().mean()
    checks = find(churn_suite, "column_values_to_not_be_null", "discount_pct")
    by_sev = {e["severity"]: e["kwargs"]["mostly"] for e in checks}
    assert 0.6 < by_sev["critical"] < by_sev["warning"] < 1 - p0
    assert by_sev["warning"] > 1 - p0 - 0.05
    # segments / sensitive attributes that are not features never stop the day
    assert {e["severity"] for e in find(churn_suite, "column_values_to_not_be_null", "gender")} == {
        "warning"
    }


def test_row_count_bounds_from_reference_days_config_or_omitted(
    churn_cfg: ModelConfig, churn_reference: pd.DataFrame
) -> None:
    def bounds(cfg: ModelConfig, ref: pd.DataFrame, **kw) -> list[dict]:
        return find(suggest_suite(cfg, ref, **kw), "table_row_count_to_be_between", None)

    per_day = churn_reference.groupby(churn_reference.timestamp.dt.date).size()
    by_ts = [e for e in bounds(churn_cfg, churn_reference) if e["severity"] == "warning"]
    assert len(by_ts) == 1
    lo, hi = by_ts[0]["kwargs"]["min_value"], by_ts[0]["kwargs"]["max_value"]
    assert lo <= 0.5 * per_day.median() < per_day.min() <= per_day.max() < hi  # tolerance 50%
    assert 0.3 * per_day.median() < lo  # a drop to 30% is out
    no_ts = churn_reference.drop(columns=["timestamp"])
    explicit = [e for e in bounds(churn_cfg, no_ts, reference_days=7) if e["severity"] == "warning"]
    expected = len(no_ts) / 7
    assert explicit[0]["kwargs"]["min_value"] == pytest.approx(0.5 * expected, abs=2)
    volume = churn_cfg.volume.model_copy(update={"expected_daily_rows": 10_000})
    configured = churn_cfg.model_copy(update={"volume": volume})
    from_cfg = [e for e in bounds(configured, no_ts) if e["severity"] == "warning"]
    assert from_cfg[0]["kwargs"] == {"min_value": 5000, "max_value": 15000}
    # no timestamps, no span, nothing configured: only the critical "not empty" rule is left
    only = bounds(churn_cfg, no_ts)
    assert [(e["severity"], e["kwargs"]) for e in only] == [("critical", {"min_value": 1})]


def test_multiclass_suite_checks_class_scores_and_classes() -> None:
    cfg = load_model_config(REPO / "config" / "models" / "intent.yaml")
    rng = np.random.default_rng(0)
    n = 500
    scores = rng.dirichlet([1, 1, 1, 1], n)
    ref = pd.DataFrame(
        {
            "message_length": rng.integers(5, 2000, n).astype(float),
            "n_previous_tickets": rng.poisson(2, n).astype(float),
            "account_age_days": rng.uniform(1, 3000, n),
            "channel": rng.choice(["email", "chat", "phone"], n),
            "language": rng.choice(["en", "de", "fr"], n),
            "product": rng.choice(["a", "b"], n),
            **{col: scores[:, i] for i, col in enumerate(cfg.columns.class_scores.values())},
        }
    )
    suite = suggest_suite(cfg, ref)
    for col in cfg.columns.class_scores.values():
        rule = one(suite, "column_values_to_be_between", col, min_value=0, max_value=1)
        assert rule["severity"] == "critical"
    pred = one(suite, "column_values_to_be_in_set", "prediction")
    assert sorted(pred["kwargs"]["value_set"]) == sorted(cfg.class_values)
    assert not find(suite, "column_values_to_be_between", "score")


def test_regression_suite_uses_reference_predictions_for_sign() -> None:
    cfg = ModelConfig.model_validate(
        {
            "name": "eta_small",
            "task": "regression",
            "logs": {"path": "landing/eta/{day}.csv"},
            "reference": {"path": "reference/eta.parquet"},
            "columns": {"score": None},
            "features": {"numeric": ["distance_km"], "categorical": ["city"]},
        }
    )
    rng = np.random.default_rng(1)
    dist = rng.uniform(0.2, 15, 400)
    ref = pd.DataFrame(
        {"distance_km": dist, "city": rng.choice(["x", "y"], 400), "prediction": 1 + 3 * dist}
    )
    suite = suggest_suite(cfg, ref)
    assert one(suite, "column_values_to_be_between", "prediction", "critical", min_value=0)
    assert not find(suite, "column_values_to_be_in_set", "prediction")
    # with only a label in the reference: a warning range, no critical sign rule
    ref_label = ref.rename(columns={"prediction": "label"})
    suite = suggest_suite(cfg, ref_label)
    rules = find(suite, "column_values_to_be_between", "prediction")
    assert [r["severity"] for r in rules] == ["warning"]


def test_load_suite_names_the_file_on_error(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SuiteError, match="bad.json"):
        load_suite(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"name": "x", "expectations": [{"type": "expect_nothing"}]}))
    with pytest.raises(SuiteError, match="wrong.json"):
        load_suite(wrong)


def test_suite_json_is_checked_by_gx_once_per_content(churn_suite: dict, tmp_path, monkeypatch):
    from monitoring_pipelines.quality import suite as module
    from monitoring_pipelines.quality.suite import load_suite_json

    path = write_suite(churn_suite, tmp_path / "expectations" / "churn.json")
    kept = tmp_path / "derived"
    first = load_suite_json(path, kept)
    assert first == load_suite(path).to_json_dict() == churn_suite
    assert len(list(kept.glob("suite-*.json"))) == 1

    def no_gx():
        raise AssertionError("GX used for a suite it already checked")

    monkeypatch.setattr(module, "_gx", no_gx)
    assert load_suite_json(path, kept) == first  # unchanged file: GX not needed
    monkeypatch.undo()
    # an edit is new content: checked again, and a broken edit is refused despite the old copy
    edited = json.loads(path.read_text())
    edited["expectations"] = edited["expectations"][1:]
    path.write_text(json.dumps(edited))
    assert load_suite_json(path, kept)["expectations"] == churn_suite["expectations"][1:]
    broken = {**edited, "expectations": [{"type": "expect_nothing"}]}
    path.write_text(json.dumps(broken))
    with pytest.raises(SuiteError, match="churn.json"):
        load_suite_json(path, kept)
    with pytest.raises(SuiteError, match="churn.json"):
        load_suite_json(path, None)


def test_a_clean_day_with_a_checked_suite_does_not_import_gx(churn_suite: dict, tmp_path):
    """Run in a fresh interpreter: the suite GX checked before, a frame every expectation
    passes in the screen; great_expectations must stay unimported."""
    import subprocess
    import sys

    path = tmp_path / "s.json"
    path.write_text(
        json.dumps(
            {
                "name": "s",
                "expectations": [
                    {"type": "expect_column_to_exist", "kwargs": {"column": "x"}},
                    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}},
                    {
                        "type": "expect_column_values_to_be_between",
                        "kwargs": {"column": "x", "min_value": 0, "max_value": 10},
                    },
                ],
            }
        )
    )
    from monitoring_pipelines.quality.suite import load_suite_json

    load_suite_json(path, tmp_path / "kept")  # checked once (this process imports GX)
    code = f"""
import sys
from datetime import date
import pandas as pd
from monitoring_pipelines.quality.suite import load_suite_json
from monitoring_pipelines.quality.validate import validate_day
suite = load_suite_json({str(path)!r}, __import__("pathlib").Path({str(tmp_path / "kept")!r}))
report = validate_day(pd.DataFrame({{"x": [1.0, 2.0, 3.0]}}), suite, day=date(2025, 1, 1))
assert all(o.success for o in report.outcomes), report.outcomes
assert "great_expectations" not in sys.modules
bad = validate_day(pd.DataFrame({{"x": [1.0, None, 30.0]}}), suite, day=date(2025, 1, 1))
assert "great_expectations" in sys.modules  # a failing expectation goes to GX
assert sum(not o.success for o in bad.outcomes) == 2
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_suite_from_columns_read_one_at_a_time_equals_the_whole_frame(
    churn_cfg, churn_reference, tmp_path, fmt
) -> None:
    """write_starter_suite reads the reference column by column (memory): the suite is the
    one profiled from the whole file at once."""
    import duckdb

    from monitoring_pipelines.quality.starter import ReferenceColumns
    from monitoring_pipelines.store.sql import reader_sql

    path = tmp_path / f"ref.{fmt}"
    if fmt == "parquet":
        churn_reference.to_parquet(path, index=False)
    else:
        churn_reference.to_csv(path, index=False)
    con = duckdb.connect()
    whole = con.execute(f"SELECT * FROM {reader_sql(fmt)}", {"files": [str(path)]}).df()
    lazy = ReferenceColumns(con, reader_sql(fmt), [str(path)])
    assert len(lazy) == len(whole) and list(lazy.columns) == list(whole.columns)
    with pytest.raises(KeyError):
        lazy["no_such_column"]
    assert suggest_suite(churn_cfg, lazy) == suggest_suite(churn_cfg, whole)
    if fmt == "parquet":  # the same as profiling the frame itself
        assert suggest_suite(churn_cfg, lazy) == suggest_suite(churn_cfg, churn_reference)
    con.close()


def _awkward_reference() -> pd.DataFrame:
    """Columns of every type a reference brings, with the awkward values: NaN beside NULL,
    infinities, an all-null column, numbers kept as text, many distinct texts, booleans with
    nulls, timestamps with nulls over several days, a small float and a decimal."""
    import decimal

    rng = np.random.default_rng(3)
    n = 600
    x = rng.normal(size=n)
    x[::17], x[5] = np.nan, np.inf
    ints = pd.array(rng.integers(-5, 50, n), dtype="Int64")
    ints[::23] = pd.NA
    cats = pd.Series(rng.choice(["a", "b", "c", "ü"], n), dtype=object)
    cats[::11] = None
    flags = pd.Series(rng.random(n) < 0.3, dtype=object)
    flags[::13] = None
    ts = pd.Series(pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 5 * 86400, n), "s"))
    ts[::19] = pd.NaT
    return pd.DataFrame(
        {
            "x": x,
            "ints": ints,
            "empty": np.full(n, np.nan),
            "cats": cats,
            "ids": [f"id-{i}" for i in range(n)],
            "numeric_text": [f"{v:.3f}" for v in rng.normal(size=n)],
            "flags": flags,
            "ts": ts,
            "day": ts.dt.date,
            "small": rng.normal(size=n).astype(np.float32),
            "money": [decimal.Decimal(f"{v:.2f}") for v in rng.uniform(0, 100, n)],
            "few": ["only"] * 10 + [None] * (n - 10),
        }
    )


@pytest.mark.filterwarnings("ignore:Could not infer format", "ignore:invalid value encountered")
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_column_statistics_from_duckdb_equal_those_of_the_column_in_pandas(tmp_path, fmt):
    """ReferenceColumns.stats computes null rates, ranges, categories and rows per day in
    DuckDB where the column's type allows; each figure equals the pandas one on the column
    read into a frame, for every column and type (the others are read into pandas)."""
    import duckdb

    from monitoring_pipelines.quality.starter import ReferenceColumns, SqlColumnStats
    from monitoring_pipelines.quality.stats import ColumnStats
    from monitoring_pipelines.store.sql import reader_sql

    frame = _awkward_reference()
    path = tmp_path / f"ref.{fmt}"
    frame.to_parquet(path, index=False) if fmt == "parquet" else frame.to_csv(path, index=False)
    con = duckdb.connect()
    whole = con.execute(f"SELECT * FROM {reader_sql(fmt)}", {"files": [str(path)]}).df()
    source = ReferenceColumns(con, reader_sql(fmt), [str(path)])
    in_sql = {"null_rate": 0, "numeric_profile": 0, "categories": 0, "day_counts": 0}
    for col in frame.columns:
        fast, plain = source.stats(col), ColumnStats(whole[col])
        assert isinstance(fast, SqlColumnStats)
        for method in in_sql:
            reads = []
            fast._values = lambda col=col: reads.append(col) or source[col]  # noqa: B023
            got = getattr(fast, method)()
            assert got == getattr(plain, method)(), (col, method)
            in_sql[method] += not reads
    if fmt == "parquet":  # typed columns: most figures never read the column
        assert in_sql == {"null_rate": 12, "numeric_profile": 5, "categories": 4, "day_counts": 2}
        assert source.stats("x").null_rate() == pytest.approx(frame["x"].isna().mean())
        assert source.stats("ts").day_counts() == [
            int(c) for c in frame["ts"].dropna().dt.normalize().value_counts().sort_index()
        ]
    with pytest.raises(KeyError):
        source.stats("no_such_column")
    con.close()
