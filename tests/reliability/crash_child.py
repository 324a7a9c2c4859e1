"""Child process for the crash tests: ingests a day and pauses inside the transaction at a
chosen point, announcing it on stdout, so the parent can kill -9 it there."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import yaml

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.ingest import predictions as ingest_mod
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.store.connection import connect


def main() -> None:
    home, day, where = Path(sys.argv[1]), date.fromisoformat(sys.argv[2]), sys.argv[3]
    paths = ProjectPaths.at(home)
    cfg = ModelConfig.model_validate(yaml.safe_load((paths.config_dir / "toy.yaml").read_text()))

    def pause(tag):
        print(tag, flush=True)
        time.sleep(60)

    if where == "rows":  # after the day's new rows are inserted, before bookkeeping
        original = ingest_mod._record_ingestion

        def record(*args, **kwargs):
            pause("in-transaction")
            original(*args, **kwargs)

        ingest_mod._record_ingestion = record
    else:  # while the metrics rows are half replaced (old deleted, new not yet inserted)

        def delete_then_pause(con, **kw):
            con.execute(
                "DELETE FROM metrics WHERE model = ? AND day = ? AND family = ?",
                [kw["model"], kw["day"], kw["family"]],
            )
            pause("in-transaction")

        ingest_mod.replace_metrics = delete_then_pause
    con = connect(paths.database)
    ingest_mod.ingest_predictions(con, cfg, paths.resolve(cfg.logs.path), paths.quarantine_dir, day)
    print("committed", flush=True)


if __name__ == "__main__":
    main()
