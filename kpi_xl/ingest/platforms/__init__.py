"""The platforms kpi_xl reads, each declared as data in a module of this package.

Every module here defines ``PLATFORM`` (a :class:`~kpi_xl.ingest.spec.Platform`), or
``PLATFORMS`` (a tuple of them, for a platform with several export types); the registry
finds them, so adding a platform is a module, its fixture and its test. They are
tried in ``priority`` order (then by name) where headers could overlap: the canonical table
first, then the layouts with the most specific headers.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from kpi_xl.ingest.spec import Platform


@cache
def platforms() -> tuple[Platform, ...]:
    """Every platform, in the order they are tried."""
    found: list[Platform] = []
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        specs = getattr(loaded, "PLATFORMS", None) or (getattr(loaded, "PLATFORM", None),)
        found.extend(spec for spec in specs if isinstance(spec, Platform))
    names = [p.name for p in found]
    if len(set(names)) != len(names):  # pragma: no cover - a bug in the package
        raise AssertionError(f"two platforms share a name: {sorted(names)}")
    return tuple(sorted(found, key=lambda p: (p.priority, p.name)))


def by_name(name: str) -> Platform:
    return next(p for p in platforms() if p.name == name)
