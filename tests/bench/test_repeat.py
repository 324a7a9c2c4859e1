"""``--repeat``: the median run is reported, with every run's figures and the largest peak."""

from __future__ import annotations

from bench.run import _runs, median_run, table


def _run(name: str, wall: float, cpu: float, peak: float, **extra) -> dict:
    key = {"floor": "seconds", "pipeline": "wall_seconds", "lean": "wall_seconds"}.get(
        name, "process_wall"
    )
    return {"name": name, key: wall, "cpu_seconds": cpu, "process_peak_mb": peak,
            "tree_peak_mb": peak + 1, **extra}  # fmt: skip


def test_median_of_three_keeps_the_middle_run_and_the_largest_peak() -> None:
    runs = [_run("cli", 30.0, 31, 900), _run("cli", 10.0, 11, 1200), _run("cli", 20.0, 22, 800)]
    res = median_run(runs)
    assert res["process_wall"] == 20.0 and res["cpu_seconds"] == 22
    assert res["process_peak_mb"] == 1200 and res["tree_peak_mb"] == 1201
    assert res["repeats"]["wall"] == [30.0, 10.0, 20.0]
    assert res["repeats"]["failed"] == 0


def test_pipeline_median_uses_its_own_timer_and_its_groups() -> None:
    runs = [
        _run("pipeline", 5.0, 6, 100, by_group={"drift": 1.0}, days=2),
        _run("pipeline", 9.0, 9, 100, by_group={"drift": 3.0}, days=2),
        _run("pipeline", 7.0, 8, 100, by_group={"drift": 2.0}, days=2),
    ]
    res = median_run(runs)
    assert res["wall_seconds"] == 7.0 and res["by_group"] == {"drift": 2.0}


def test_failed_runs_are_counted_not_chosen() -> None:
    runs = [_run("floor", 1.0, 1, 10, error="boom"), _run("floor", 3.0, 3, 10),
            _run("floor", 2.0, 2, 10)]  # fmt: skip
    res = median_run(runs)
    assert "error" not in res and res["seconds"] == 3.0  # slower middle of the two good runs
    assert res["repeats"]["failed"] == 1


def test_single_run_is_unchanged_and_the_table_names_the_repeats() -> None:
    one = _run("floor", 2.0, 2, 10)
    assert median_run([one]) is one
    info = {
        "results": {
            "floor": median_run([_run("floor", w, w, 10) for w in (2.0, 4.0, 3.0)]),
        },
        "workload_days": 30,
    }
    text = table(info)
    assert "median of 3 (wall 2.0 s / 4.0 s / 3.0 s" in text
    assert "| 3.0 s |" in text


def test_a_row_from_an_earlier_invocation_says_so() -> None:
    info = {
        "date": "2026-12-03T16:53:00+00:00",
        "results": {
            "floor": {**_run("floor", 2.0, 2, 10), "run_of": "2026-12-03T16:53:00+00:00"},
            "evidently": {
                **_run("evidently", 900.0, 1000, 2000),
                "tool": "evidently 0.7",
                "run_of": "2026-12-03T15:57:02+00:00",
            },  # fmt: skip
        },
        "workload_days": 30,
    }
    text = table(info)
    assert "| evidently | 900.0 s |" in text
    assert "from the runner's run of 2026-12-03 15:57 UTC; evidently 0.7" in text
    assert text.count("from the runner's run") == 1  # the floor is of this run


def test_rows_of_different_counts_are_each_labelled_and_the_header_says_so() -> None:
    watch = {
        "name": "watch",
        "process_wall": 8.0,
        "process_peak_mb": 1000,
        "tree_peak_mb": 1000,
        "ready_seconds": 4.0,
        "samples": [{"latency": x, "run": x - 2} for x in (9.0, 8.0, 7.5, 8.5, 7.9)],
    }
    info = {
        "results": {
            "floor": median_run([_run("floor", w, w, 10) for w in (2.0, 4.0, 3.0)]),
            "evidently": _run("evidently", 900.0, 1000, 2000),
            "watch": watch,
        },
        "workload_days": 30,
    }
    assert _runs(info) == "medians of as many runs as each row's notes say"
    text = table(info)
    assert "| evidently | 900.0 s | 1,000.0 s | 2,000.0 MB | 2,001.0 MB | one run |" in text
    assert "median of the last 5 days landing one by one" in text
    assert "(latency 9.0 s / 8.0 s / 7.5 s / 8.5 s / 7.9 s; of which the day's run 7.0 s" in text
    assert "median of 3 (wall 2.0 s / 4.0 s / 3.0 s" in text
    same = {"results": {"floor": info["results"]["floor"]}}
    assert _runs(same) == "median of 3 runs of each measurement"


def test_nannyml_scope_sums_its_three_steps_for_both_configs_against_floor_and_nannyml() -> None:
    assets = {"feature_drift": 6.0, "realized_performance": 3.0, "estimated_performance": 1.0}
    info = {
        "results": {
            "floor": _run("floor", 2.0, 2, 10),
            "pipeline": _run("pipeline", 50.0, 60, 900, days=10, by_group={"drift": 6.0},
                             by_asset={**assets, "outliers": 9.0}),
            "lean": _run("lean", 40.0, 45, 800, days=10, by_asset={**assets, "feature_drift": 2.0}),
            "nannyml": {**_run("nannyml", 60.0, 60, 3000), "days": 30},
        },
        "workload_days": 30,
    }  # fmt: skip
    text = table(info)
    scope = "feature_drift + realized_performance + estimated_performance"
    assert f"| &nbsp;&nbsp;{scope} | 10.0 s" in text
    assert "lean config (NannyML's scope" in text and "| 40.0 s |" in text
    assert "estimated_performance, lean | 6.0 s" in text
    # 10 of 30 days: x3 to the month; floor 2 s; NannyML 60 s
    assert "(all assets) / floor, wall: 15.0×; nannyml / it on as many days: 2.00×" in text
    assert "(lean config) / floor, wall: 9.0×; nannyml / it on as many days: 3.33×" in text


def test_like_for_like_adds_our_reference_fits_and_takes_nannymls_own_timers() -> None:
    """Our three steps for the month plus the reference fits they need, against NannyML's
    drift + CBPE + realized timers (its fits included, import and file reading excluded)."""
    assets = {"feature_drift": 2.0, "realized_performance": 3.0, "estimated_performance": 1.0}
    fits = {"reference_profile": 3.0, "performance_estimator": 1.5, "outlier_detector": 9.0}
    phases = {"drift_seconds": 20.0, "cbpe_seconds": 15.0, "realized_seconds": 4.0}
    info = {
        "results": {
            "floor": _run("floor", 2.0, 2, 10),
            "lean": _run("lean", 40.0, 45, 800, days=10, by_asset={**assets, **fits}),
            "nannyml": {**_run("nannyml", 60.0, 60, 3000), "days": 30, "load_seconds": 5.0,
                        **phases},
        },
        "workload_days": 30,
    }  # fmt: skip
    text = table(info)
    # 6 s for 10 days -> 18 s for 30, + 4.5 s of fits (once) = 22.5 s; NannyML 39 s
    assert "+ reference_profile + performance_estimator 22.5 s" in text
    assert "excluded, 39.0 s: 1.73×" in text
    del info["results"]["nannyml"]["cbpe_seconds"]  # a peer that did not time its phases
    assert "like for like" not in table(info)


def test_lean_config_is_merged_and_the_original_text_returned(tmp_path) -> None:
    import yaml

    from bench.run import LEAN, set_lean

    path = tmp_path / "config" / "models" / "w1.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("name: w1\ndrift:\n  p_value: 0.01\n")
    before = set_lean(tmp_path, "w1")
    assert before == "name: w1\ndrift:\n  p_value: 0.01\n"
    cfg = yaml.safe_load(path.read_text())
    assert cfg["drift"] == {"p_value": 0.01, **LEAN["drift"]}
    assert cfg["performance"] == LEAN["performance"]


def test_peers_run_with_the_projects_huge_page_setting(monkeypatch):
    from bench.run import peer_env

    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    env = peer_env()
    assert env["NUMPY_MADVISE_HUGEPAGE"] == "0"  # off, as monitoring_pipelines sets it
    assert env["NML_DISABLE_USAGE_LOGGING"] == "1" and env["DO_NOT_TRACK"] == "1"
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")  # the runner's own choice carries over
    assert peer_env()["NUMPY_MADVISE_HUGEPAGE"] == "1"


def test_own_code_figures_are_reported_beside_the_step_times() -> None:
    steps = {"feature_drift": 6.0, "realized_performance": 3.0, "estimated_performance": 1.0}
    own = {"feature_drift": 3.0, "realized_performance": 1.5, "estimated_performance": 0.5}
    info = {
        "results": {
            "floor": _run("floor", 2.0, 2, 10),
            "pipeline": _run("pipeline", 50.0, 60, 900, days=10, by_group={"drift": 20.0},
                             by_asset=steps, compute_by_asset={**own, "outliers": 5.0}),
            "lean": _run("lean", 40.0, 45, 800, days=10, by_asset=steps,
                         compute_by_asset=own),
            "nannyml": {**_run("nannyml", 60.0, 60, 3000), "days": 30},
        },
        "workload_days": 30,
    }  # fmt: skip
    text = table(info)
    assert "estimated_performance, own code only | 5.0 s" in text
    assert "estimated_performance, lean, own code only | 5.0 s" in text
    # 5 s of own code over 10 days: 15 s for the month, 7.5x the floor, NannyML 60 / 15
    assert "(lean config, own code only) / floor, wall: 7.5×; nannyml / it on as many" in text
    assert "days: 4.00×" in text
    # the daily steps' own code: (5 + 5) s over 10 days
    assert "of which the project's own code 1.0 s" in text
