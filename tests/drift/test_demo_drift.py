"""On the demo: every injected covariate drift alerts on its onset day, on its features, and
almost nothing else does; both detector backends give the same verdicts."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from monitoring_pipelines.drift.calculator import calculate_drift
from monitoring_pipelines.drift.reference import fit_profile
from monitoring_pipelines.store.connection import connect


def _days(manifest, model):
    m = manifest["models"][model]
    first, last = date.fromisoformat(m["first_day"]), date.fromisoformat(m["last_day"])
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _verdicts(
    demo_store, backend: str, numeric_test: str = "ks"
) -> dict[tuple[str, str, date], str]:
    """(model, feature, day) -> status for every judged feature-day (univariate only)."""
    paths, manifest, cfgs = demo_store
    con = connect(paths.database)
    out = {}
    for name, cfg in cfgs.items():
        drift = cfg.drift.model_validate(
            cfg.drift.model_dump()
            | {"detector_backend": backend, "multivariate": False, "numeric_test": numeric_test}
        )
        cfg = cfg.model_copy(update={"drift": drift})
        model_path = paths.resolve(f"data/models/{name}/v1.joblib")
        profile = fit_profile(con, cfg, model_path)
        for day in _days(manifest, name):
            for c in calculate_drift(con, cfg, profile, day).of_role("feature"):
                out[(name, c.spec.subject, day)] = c.status
    con.close()
    return out


@pytest.fixture(scope="module")
def scipy_verdicts(demo_store):
    t0 = time.perf_counter()
    verdicts = _verdicts(demo_store, "scipy")
    print(f"scipy backend: {len(verdicts)} feature-days in {time.perf_counter() - t0:.1f} s")
    return verdicts


@pytest.fixture(scope="module")
def binned_verdicts(demo_store):
    return _verdicts(demo_store, "scipy", "binned")


def _events(manifest, kinds=("covariate_drift",)):
    return [e for e in manifest["events"] if e["kind"] in kinds]


def _in_event(manifest, model, feature, day) -> bool:
    """Is the feature changed by an injected event on that day (a drift or the broken day,
    whose out-of-range values the quality gate stops before drift in the pipeline)?"""
    return any(
        e["model"] == model
        and feature in e["features"]
        and date.fromisoformat(e["first_day"]) <= day <= date.fromisoformat(e["last_day"])
        for e in _events(manifest, ("covariate_drift", "broken_day"))
    )


@pytest.fixture(params=["ks", "binned"])
def verdicts(request, scipy_verdicts):
    """The scipy backend's verdicts with each numeric test (``drift.numeric_test``)."""
    return scipy_verdicts if request.param == "ks" else request.getfixturevalue("binned_verdicts")


def test_every_covariate_drift_alerts_on_its_onset_day(demo_store, verdicts):
    _, manifest, _ = demo_store
    assert _events(manifest)
    for e in _events(manifest):
        onset = date.fromisoformat(e["first_day"])
        for f in e["features"]:
            assert verdicts[(e["model"], f, onset)] == "alert", (e["model"], f, onset)


def test_false_alerts_are_at_most_one_percent_of_feature_days(demo_store, verdicts):
    _, manifest, _ = demo_store
    quiet = {k: s for k, s in verdicts.items() if not _in_event(manifest, *k)}
    false = sorted(k for k, s in quiet.items() if s == "alert")
    rate = len(false) / len(quiet)
    print(f"false alerts: {len(false)} of {len(quiet)} feature-days ({rate:.2%}): {false}")
    assert len(quiet) > 800
    assert rate <= 0.01, false


def test_both_backends_give_the_same_verdicts(demo_store, scipy_verdicts):
    alibi = _verdicts(demo_store, "alibi")
    assert alibi == scipy_verdicts


def test_concept_drift_is_signalled_where_only_the_labels_moved(demo_store):
    """eta's concept drift: inputs unchanged, the true times depend more on prep time."""
    paths, manifest, cfgs = demo_store
    event = _events(manifest, ("concept_drift",))[0]
    cfg = cfgs[event["model"]]
    drift = cfg.drift.model_validate(cfg.drift.model_dump() | {"multivariate": False})
    cfg = cfg.model_copy(update={"drift": drift})
    con = connect(paths.database)
    profile = fit_profile(con, cfg, None)
    onset = date.fromisoformat(event["first_day"])
    status = {}
    for day in _days(manifest, cfg.name):
        if day > onset:
            break
        r = calculate_drift(con, cfg, profile, day)
        extra = {m.metric: m for m in r.extra if not m.subject}
        target = {m.metric: m for m in r.headline()}["target_drift"]
        status[day] = (extra["concept_drift"].status, target.status)
    con.close()
    assert status.pop(onset) == ("alert", "alert")  # concept drift; the labels drifted too
    assert {s for s, _ in status.values()} == {"ok"}
