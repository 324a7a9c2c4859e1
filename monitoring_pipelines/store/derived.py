"""Figures derived from the store, kept as files beside it (``<store>.derived/``, see
:func:`~monitoring_pipelines.store.sql.derived_folder`) so a new process reads them back
instead of computing them again: the sorted reference columns, the slice bin edges, GX's
parse of a suite."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_RELEASERS: list[Callable[[], None]] = []  # clear functions of per-process caches


def releasable(clear: Callable[[], None]) -> Callable[[], None]:
    """Register the clear function of a per-process cache of derived figures, for
    :func:`release_caches`."""
    _RELEASERS.append(clear)
    return clear


def release_caches() -> None:
    """Drop the per-process caches of derived figures (they are read back from the files
    beside the store when next needed). The CLI calls it before a retraining run, which
    needs none of them, so they do not sit in memory under its dataset and fit."""
    for clear in _RELEASERS:
        clear()


class KeptCache:
    """Values kept in the process by key, the least recently used dropped once the kept
    values' ``size`` (default: one each) passes ``limit`` (the latest always stays), all of
    them by :func:`release_caches`. Thread-safe; a value two threads load at once is loaded
    twice and the later one kept."""

    def __init__(self, limit: float, size: Callable[[Any], float] | None = None) -> None:
        self.limit, self.size = limit, size or (lambda _value: 1)
        self.items: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()
        releasable(self.clear)

    def get(self, key: Hashable, load: Callable[[], T] | None = None) -> T | None:
        """The value kept for ``key``; else ``load()``, kept (None without ``load``)."""
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None if load is None else self.put(key, load())

    def put(self, key: Hashable, value: T) -> T:
        with self.lock:
            self.items[key] = value
            while len(self.items) > 1 and sum(map(self.size, self.items.values())) > self.limit:
                self.items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


def digest(text: str) -> str:
    """A short, stable name part for ``text``."""
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def kept_file(
    folder: Path | None,
    stem: str,
    version: str,
    suffix: str,
    *,
    read: Callable[[Path], T],
    compute: Callable[[], T],
    write: Callable[[T, Path], None],
) -> T:
    """``read`` of ``<folder>/<stem>-<digest(version)><suffix>`` when it is there and readable
    (``read`` raises OSError, ValueError, KeyError or TypeError otherwise), else ``compute()``,
    written atomically (``write`` to a temporary file, then renamed) after removing the
    stem's files of other versions. No folder (a store in memory): always computed. A
    computed None (nothing to keep) is returned unwritten. A place that cannot be written
    leaves the value uncached, never an error."""
    if folder is None:
        return compute()
    file = folder / f"{stem}-{digest(version)}{suffix}"
    try:
        return read(file)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # absent, damaged or of another shape: compute it again
    value = compute()
    if value is None:
        return value
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{stem}-*{suffix}"):
            old.unlink(missing_ok=True)
        tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        write(value, tmp)
        os.replace(tmp, file)
    except OSError:
        pass
    return value
