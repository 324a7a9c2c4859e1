"""Peer tools run on the benchmark's files, each in its own virtualenv (bench/.venv-<tool>)."""
