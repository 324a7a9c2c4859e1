"""Secure defaults: the UI and the metrics endpoint listen on localhost only, a quarantined file
keeps its permissions, and no config file in the repository holds a secret."""

import re
import shlex
import stat
from datetime import date

import pytest
import yaml

from monitoring_pipelines import cli
from monitoring_pipelines.ingest.files import IngestionError
from monitoring_pipelines.ingest.predictions import ingest_predictions
from tests.conftest import REPO, toy_frame, write_day

LOCAL = "127.0.0.1"


def _recipe(target: str) -> list[str]:
    """The command lines of a Makefile target."""
    lines = (REPO / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    out = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        out.append(line.strip())
    return out


def test_make_ui_binds_localhost():
    (cmd,) = [c for c in _recipe("ui") if "dagster" in c]
    args = shlex.split(cmd)
    assert args[1] == "dev"
    host = args[args.index("-h") + 1] if "-h" in args else args[args.index("--host") + 1]
    assert host == LOCAL


def test_dagster_dev_and_webserver_default_to_localhost():
    """Without -h both bind localhost too (so a bare `dagster dev` is not exposed either)."""
    from dagster._cli.dev import dev_command
    from dagster_webserver.cli import dagster_webserver

    web = {p.name: p for p in dagster_webserver.params}
    assert web["host"].default == LOCAL
    dev = {p.name: p for p in dev_command.params}
    default = dev["host"].default  # unset: dagster dev passes no host, the webserver's applies
    assert not isinstance(default, str) or default == LOCAL


def test_workspace_and_instance_expose_no_server():
    """The workspace loads code in a local process (no gRPC server on a host), and neither
    instance file configures a webserver or code server address."""
    for f in (REPO / "workspace.yaml",):
        for entry in yaml.safe_load(f.read_text())["load_from"]:
            assert set(entry) <= {"python_module", "python_file", "python_package"}, entry
    for f in (REPO / "dagster.yaml", REPO / "deploy" / "postgres" / "dagster.yaml"):
        text = f.read_text()
        assert "0.0.0.0" not in text and "grpc_server" not in text


def test_metrics_endpoint_defaults_to_localhost():
    args = cli.build_parser().parse_args(["serve-metrics"])
    assert args.host == LOCAL


def test_quarantined_file_keeps_its_permissions(home, toy, con):
    day = date(2026, 3, 1)
    frame = toy_frame(day, n=20).drop(columns=["score"])  # a required column missing
    path = write_day(home, day, frame)
    path.chmod(0o640)
    with pytest.raises(IngestionError) as err:
        ingest_predictions(con, toy, home.resolve(toy.logs.path), home.quarantine_dir, day)
    assert err.value.column == "score"
    target = home.quarantine_dir / "toy" / path.name
    assert not path.exists() and target.exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_bytes() == frame_bytes_written(frame, tmp=home.home / "again.parquet")


def frame_bytes_written(frame, tmp):
    """The bytes pandas writes for ``frame`` (to compare the quarantined file's contents)."""
    frame.to_parquet(tmp, index=False)
    return tmp.read_bytes()


SECRET_KEY = re.compile(r"(pass(word)?|secret|token|api[_-]?key|private[_-]?key|credential)", re.I)
CREDENTIAL_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I)
TOKEN_SHAPES = [
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),  # GitHub tokens
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),  # Slack tokens
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\."),  # JWT
]


def _config_files() -> list:
    files = [REPO / "dagster.yaml", REPO / "workspace.yaml", REPO / "pyproject.toml"]
    for folder in ("config", "deploy", "expectations"):
        files += sorted(
            p for p in (REPO / folder).rglob("*") if p.suffix in {".yaml", ".yml", ".json"}
        )
    return [f for f in files if f.exists()]


def _secret_values(node, path=()):
    """(path, value) of every secret-named key whose value is a literal, not {env: NAME}."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, str(key))
            if SECRET_KEY.search(str(key)) and not (
                isinstance(value, dict) and set(value) == {"env"}
            ):
                if value not in (None, "", False):
                    yield here, value
            yield from _secret_values(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _secret_values(value, (*path, str(i)))


def test_no_secrets_in_config_files():
    files = _config_files()
    assert REPO / "dagster.yaml" in files and any(f.parent.name == "models" for f in files)
    found = []
    for f in files:
        text = f.read_text()
        found += [(f.name, m.group(0)) for m in CREDENTIAL_URL.finditer(text)]
        found += [(f.name, p.pattern) for p in TOKEN_SHAPES if p.search(text)]
        if f.suffix in {".yaml", ".yml"}:
            for doc in yaml.safe_load_all(text):
                found += [(f.name, ".".join(p)) for p, _ in _secret_values(doc)]
    assert found == []


def test_the_secret_scan_finds_secrets():
    """The scan itself: a literal password, a credential URL and a token are all caught."""
    doc = yaml.safe_load(
        "storage:\n  postgres:\n    postgres_db:\n      password: hunter2\n"
        "      username: {env: U}\n"
        "    api_token: {env: T}\n"
    )
    assert [".".join(p) for p, _ in _secret_values(doc)] == [
        "storage.postgres.postgres_db.password"
    ]
    assert CREDENTIAL_URL.search("postgres_url: postgresql://dagster:s3cret@db:5432/dagster")
    assert not CREDENTIAL_URL.search("path: s3://bucket/logs/{day}/*.parquet")
    assert any(p.search("key: AKIAABCDEFGHIJKLMNOP") for p in TOKEN_SHAPES)
