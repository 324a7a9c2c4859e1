"""The KS p-value where scipy sums Smirnov's series term by term (2.2 <= n D² < 370, n > 140):
``scipy.stats.kstwo.sf`` against ``monitoring_pipelines.drift.kolmogorov.kstwo_sf`` at the
effective sample sizes of a W1 day (33,333 rows against a 1M reference), a 5M-row day and a
7-day window, and a million. Prints milliseconds a call (best of ``--repeat``) and the
largest relative difference over the band.

    python -m bench.kolmogorov [--repeat 5]
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np
from scipy.stats import kstwo

from monitoring_pipelines.drift.kolmogorov import in_smirnov_band, kstwo_sf

SIZES = {
    "W1 day (33,333 vs 1M)": 32258,
    "5M day (166,667 vs 1M)": 142857,
    "W1 7-day window (233,333 vs 1M)": 189189,
    "a million": 1_000_000,
}
NX2 = [2.2, 3.0, 5.0, 10.0, 30.0, 100.0, 300.0]


def best_ms(f, repeat: int) -> float:
    return min(timeit.repeat(f, number=1, repeat=repeat)) * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    print(f"{'effective n':<42} {'scipy ms':>9} {'ours ms':>8} {'ratio':>6} {'max rel diff':>13}")
    for name, n in SIZES.items():
        ds = [(x / n) ** 0.5 for x in NX2]
        assert all(in_smirnov_band(d, n) for d in ds)
        d = ds[3]  # n D² = 10: p about 4e-9
        theirs = best_ms(lambda d=d, n=n: kstwo.sf(d, n), args.repeat)
        ours = best_ms(lambda d=d, n=n: kstwo_sf(d, n), args.repeat)
        worst = max(
            abs(kstwo_sf(x, n) - s) / s for x in ds if (s := kstwo.sf(x, n)) > np.finfo(float).tiny
        )
        label = f"{name}: {n}"
        print(f"{label:<42} {theirs:>9.1f} {ours:>8.1f} {theirs / ours:>5.1f}x {worst:>13.1e}")


if __name__ == "__main__":
    main()
