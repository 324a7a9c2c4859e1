"""Read a pyinstrument session of the pipeline: where the project's own code spends its time
and what Dagster costs around it.

Record one with ``python -m bench.tasks pipeline <home> out.json --days 8 --profile
out.pyisession``, then ``python -m bench.profile <report> out.pyisession [args]``:

- ``assets``: per asset, the time in its own code (the asset function and below);
- ``leaves [ASSET] [N]``: the N largest self times under the assets (or one asset), each with
  the project function it was called from: a DuckDB query shows as the line that ran it;
- ``dagster [N]``: Dagster's functions by the time spent in them outside the project's code;
- ``tree FUNCTION [DEPTH]``: every call of FUNCTION merged into one tree.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterator

OWN = "monitoring_pipelines/"
AROUND = ("runner.py", "cli.py", "dagster_sqlite.py", "defs/common.py")  # not an asset's code


def load(path: str):
    from pyinstrument.session import Session

    return Session.load(path).root_frame()


def _path(frame) -> str:
    return frame.file_path or ""


def _short(frame) -> str:
    p = _path(frame)
    p = p.split("site-packages/")[-1].split(OWN)[-1]
    return f"{p}:{frame.function}"


def _is_asset(frame) -> bool:
    p = _path(frame)
    return f"{OWN}defs/" in p and not p.endswith(AROUND) and frame.function != "<module>"


def asset_frames(root) -> Iterator[tuple[str, object]]:
    """(asset function, frame) of every outermost call of an asset's function."""
    stack = [root]
    while stack:
        f = stack.pop()
        if _is_asset(f):
            yield f.function, f
            continue
        stack.extend(f.children)


def assets(root) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for name, f in asset_frames(root):
        out[name] += f.time
    return dict(out)


def leaves(root, asset: str | None = None) -> dict[str, float]:
    """Self time under the assets by 'leaf <- the project function that called it'."""
    out: dict[str, float] = defaultdict(float)

    def walk(f, parent, caller: str) -> None:
        if OWN in _path(f):
            caller = _short(f)
        if f.function == "[self]" or not f.children:
            out[f"{_short(parent if f.function == '[self]' else f)} <- {caller}"] += f.time
            return
        for c in f.children:
            walk(c, f, caller)

    for name, f in asset_frames(root):
        if asset is None or name == asset:
            walk(f, f, _short(f))
    return dict(out)


def dagster(root) -> dict[str, float]:
    """Per Dagster function (outermost call of it on each stack), its time minus the time of
    the project's code below it."""
    own_below: dict[int, float] = {}

    def own(f) -> float:
        key = id(f)
        if key not in own_below:
            own_below[key] = (
                f.time if OWN in _path(f) and not _path(f).endswith(AROUND)
                else sum(own(c) for c in f.children)
            )  # fmt: skip
        return own_below[key]

    out: dict[str, float] = defaultdict(float)

    def walk(f, seen: frozenset[str]) -> None:
        if OWN in _path(f) and not _path(f).endswith(AROUND) and seen:
            return
        if "dagster" in _path(f):
            key = _short(f)
            if key not in seen:
                out[key] += f.time - own(f)
                seen = seen | {key}
        for c in f.children:
            walk(c, seen)

    walk(root, frozenset())
    return dict(out)


def tree(root, function: str, depth: int = 4) -> list[tuple[int, float, str]]:
    """(indent, seconds, frame) rows of every call of ``function`` merged by callee."""
    calls, stack = [], [root]
    while stack:
        f = stack.pop()
        if f.function == function:
            calls.append(f)
        else:
            stack.extend(f.children)
    total = sum(f.time for f in calls)
    rows = [(0, total, f"{function} ({len(calls)} calls)")]

    def merge(frames, level: int) -> None:
        groups: dict[str, list] = defaultdict(list)
        for f in frames:
            for c in f.children:
                groups[_short(c)].append(c)
        for key, fs in sorted(groups.items(), key=lambda kv: -sum(x.time for x in kv[1])):
            t = sum(x.time for x in fs)
            if t < 0.01 * total:
                continue
            rows.append((level, t, key))
            if level < depth:
                merge(fs, level + 1)

    merge(calls, 1)
    return rows


def _top(figures: dict[str, float], n: int) -> str:
    items = sorted(figures.items(), key=lambda kv: -kv[1])[:n]
    return "\n".join(f"{v:8.2f} s  {k}" for k, v in items)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] not in ("assets", "leaves", "dagster", "tree"):
        print(__doc__)
        return 2
    report, root, rest = args[0], load(args[1]), args[2:]
    if report == "assets":
        print(_top(assets(root), 100))
    elif report == "leaves":
        asset = rest[0] if rest and not rest[0].isdigit() else None
        n = int(rest[-1]) if rest and rest[-1].isdigit() else 40
        print(_top(leaves(root, asset), n))
    elif report == "dagster":
        print(_top(dagster(root), int(rest[0]) if rest else 40))
    else:
        if not rest:
            print(__doc__)
            return 2
        for level, t, key in tree(root, rest[0], int(rest[1]) if len(rest) > 1 else 4):
            print(f"{'  ' * level}{t:8.3f} s  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
