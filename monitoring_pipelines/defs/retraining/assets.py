"""The model registry asset: one materialization = one retraining of one model."""

from datetime import date

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.partitions import MODELS
from monitoring_pipelines.defs.resources import MonitoringResource, NotifierResource
from monitoring_pipelines.retraining.retrain import retrain


class RetrainConfig(dg.Config):
    """What started the retraining. ``day``: the breach's day (labels known by its end are
    used; default: the latest day with logs). ``breach``: what broke (free text)."""

    day: str = ""
    breach: str = "manual"


@dg.asset(
    key=k.MODEL_REGISTRY,
    partitions_def=MODELS,
    group_name=k.GROUP_RETRAINING,
    kinds={"duckdb", "scikit-learn"},
    pool=k.POOL,
    owners=["team:ml-platform"],
    description="Retrains a model: a challenger (scikit-learn by default, or the configured "
    "trainer module:function) on the reference plus recent labelled production rows, judged "
    "against the champion on the latest held-out labelled rows (performance and fairness), "
    "registered in model_registry with its figures, and promoted only if better by "
    "retraining.min_improvement and not less fair beyond retraining.max_fairness_regression. "
    "Launched by retraining_sensor, the launchpad or `monitoring-pipelines retrain`.",
)
def model_registry(
    context: dg.AssetExecutionContext,
    config: RetrainConfig,
    monitoring: MonitoringResource,
    notifier: NotifierResource,
) -> dg.MaterializeResult:
    cfg = monitoring.model(context.partition_key)
    with monitoring.connect() as con:
        if config.day:
            day = date.fromisoformat(config.day)
        else:
            from monitoring_pipelines.store.sql import predictions_table

            (day,) = con.execute(f"SELECT max(_day) FROM {predictions_table(cfg.name)}").fetchone()
            if day is None:
                raise dg.Failure(f"{cfg.name}: no logs ingested yet, nothing to retrain on")
        try:
            out = retrain(
                con, cfg, monitoring.paths.home, day, triggered_by=config.breach,
                run_id=context.run_id,
            )  # fmt: skip
        except ValueError as e:
            raise dg.Failure(str(e)) from None
    d = out.decision
    notifier.notifier().send(
        "retraining",
        {"model": cfg.name, "version": out.version, "promoted": d.promote, "day": str(day)},
        f"[{cfg.name}] retrained {out.version} after '{config.breach}' on {day}: {d.reason}",
    )
    table = "| figure | champion | challenger |\n|---|---|---|\n" + "\n".join(
        f"| {m} | {out.champion_eval.metrics.get(m, float('nan')):.4f} | {v:.4f} |"
        for m, v in out.challenger_eval.metrics.items()
    )
    nan = float("nan")
    return dg.MaterializeResult(
        metadata={
            "version": out.version,
            "champion_version": out.champion_version,
            "promoted": d.promote,
            "reason": d.reason,
            "metric": d.metric,
            "champion_value": nan if d.champion is None else d.champion,
            "challenger_value": nan if d.challenger is None else d.challenger,
            "improvement": nan if d.improvement is None else d.improvement,
            "fairness_change": nan if d.fairness_change is None else d.fairness_change,
            "figures": dg.MetadataValue.md(table),
            "trained_on": dg.MetadataValue.json(out.trained_on),
            "artifact": dg.MetadataValue.path(str(out.artifact)),
        }
    )
