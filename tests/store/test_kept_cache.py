"""The per-process cache the derived figures share: least recently used dropped beyond its
limit, the latest always kept, everything dropped by release_caches."""

from __future__ import annotations

from monitoring_pipelines.store.derived import KeptCache, release_caches


def test_least_recently_used_dropped_beyond_the_limit_by_count_and_by_size():
    loads = []
    cache = KeptCache(2)
    for key in ("a", "b", "a", "c"):  # "a" used again: "b" is the least recent when "c" comes
        cache.get(key, lambda k=key: loads.append(k) or k.upper())
    assert loads == ["a", "b", "c"] and list(cache.items) == ["a", "c"]
    assert cache.get("b") is None and cache.get("a") == "A"

    sized = KeptCache(10, size=len)
    sized.put("x", "12345678")
    sized.put("y", "123")  # 11 > 10: "x" goes
    assert list(sized.items) == ["y"]
    sized.put("z", "12345678901")  # alone over the limit: the latest stays
    assert list(sized.items) == ["z"]


def test_release_caches_empties_every_kept_cache():
    cache = KeptCache(4)
    cache.put("k", 1)
    release_caches()
    assert not cache.items and cache.get("k") is None
