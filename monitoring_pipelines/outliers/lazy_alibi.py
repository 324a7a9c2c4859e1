"""alibi-detect's package loaded lazily, so the outlier layer does not pay for what it never uses.

``import alibi_detect.od`` first runs ``alibi_detect/__init__.py``, which imports every
subpackage at once: ``ad``, ``cd``, ``models``, ``od``, ``utils`` and ``saving``. ``saving``
imports transformers (for text detectors' tokenizers) and ``cd`` imports numba and toml:
1.4-1.7 s of a cold process on the project's 2-core machines, where the outlier layer needs
``alibi_detect.od`` alone (IForest and Mahalanobis: numpy, scipy and scikit-learn), about
15 ms. A new day through the CLI, the reference job and every run the Dagster daemon launches
is such a cold process.

:func:`register` puts the package in ``sys.modules`` as the same module object the import
system would build (its spec, path and ``__version__``), with ``__init__``'s eager imports
replaced by a module ``__getattr__`` (PEP 562): ``alibi_detect.cd`` and the others are
imported the first time they are named, as an attribute or in an import statement. The
modules and classes are alibi-detect's own; only when each subpackage is imported changes.
Code that uses ``alibi_detect.saving`` or ``alibi_detect.cd`` (the drift layer's alibi
backend does) imports it, and transformers with it, when it does.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType

PACKAGE = "alibi_detect"
SUBPACKAGES = ("ad", "cd", "models", "od", "utils", "saving")  # alibi_detect/__init__.py's
_lock = threading.Lock()


def register() -> bool:
    """Register alibi-detect as a lazily loaded package unless it is imported already (or
    not installed); True when this call registered it."""
    with _lock:
        if PACKAGE in sys.modules:
            return False
        spec = importlib.util.find_spec(PACKAGE)
        if spec is None or spec.loader is None:
            return False
        package = importlib.util.module_from_spec(spec)  # not executed: no eager imports

        def __getattr__(name: str):
            if name in SUBPACKAGES:
                return importlib.import_module(f"{PACKAGE}.{name}")  # sets the attribute
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")

        def __dir__() -> list[str]:
            return sorted(set(package.__dict__) | set(SUBPACKAGES))

        package.__getattr__ = __getattr__  # ty: ignore[unresolved-attribute]
        package.__dir__ = __dir__  # ty: ignore[invalid-assignment]
        package.__all__ = list(SUBPACKAGES)  # ty: ignore[unresolved-attribute]
        sys.modules[PACKAGE] = package
        try:
            version: ModuleType = importlib.import_module(f"{PACKAGE}.version")
        except Exception:
            del sys.modules[PACKAGE]
            raise
        package.__version__ = version.__version__  # ty: ignore[unresolved-attribute]
        return True
