"""alibi-detect's Mahalanobis day scores: alibi's own ``score`` (a Python loop over rows) against
:func:`monitoring_pipelines.outliers.backends.online_mahalanobis_scores` (the same arithmetic
with the loop in closed form), through the backend as a day is scored: 15 numeric z-scores,
whitened, fitted online on 50,000 reference rows, scored in chunks of 20,000 rows from the
fitted state, at a W1 day's size (33,333 rows) and a 5M day's (166,667). The day is shifted
in its second half, as a drifting day is. Prints seconds (best of ``--repeat``) and the largest
relative difference between the two.

    python -m bench.mahalanobis [--repeat 3]
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np

from monitoring_pipelines.outliers.backends import AlibiMahalanobis

DIMENSIONS = 15
REFERENCE_ROWS = 50_000
SIZES = {"W1 day": 33_333, "5M day": 166_667}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    mix = rng.normal(size=(DIMENSIONS, DIMENSIONS))
    detector = AlibiMahalanobis()
    detector.fit(rng.normal(size=(REFERENCE_ROWS, DIMENSIONS)) @ mix)
    print(f"{'rows':<22} {'alibi s':>8} {'ours s':>8} {'ratio':>6} {'max rel diff':>13}")
    for name, n in SIZES.items():
        day = rng.normal(size=(n, DIMENSIONS)) @ mix
        day[n // 2 :] += 0.5
        theirs = min(
            timeit.repeat(lambda d=day: detector.score_with_alibi(d), number=1, repeat=args.repeat)
        )
        ours = min(timeit.repeat(lambda d=day: detector.score(d), number=1, repeat=args.repeat))
        a, b = detector.score_with_alibi(day), detector.score(day)
        worst = float(np.max(np.abs(a - b) / np.abs(a)))
        label = f"{name}: {n:,}"
        print(f"{label:<22} {theirs:>8.3f} {ours:>8.3f} {theirs / ours:>5.1f}x {worst:>13.1e}")


if __name__ == "__main__":
    main()
