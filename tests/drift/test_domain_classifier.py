"""The domain classifier's input and power: categorical features as one column of level codes
split natively by the trees."""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitoring_pipelines.drift.multivariate import _encode, categorical_mask, domain_auroc

STATE = {
    "numeric": ["a", "b"],
    "mean": [1.0, 0.0],
    "std": [2.0, 0.0],  # a constant column is left unscaled
    "categories": {"c": ["x", "y"], "d": ["p"]},
}


def test_level_codes_other_levels_and_missing_values():
    frame = pd.DataFrame(
        {
            "a": [3.0, None, 1.0, -1.0],
            "b": [5.0, 5.0, None, 5.0],
            "c": ["y", "x", "zz", None],
            "d": ["p", "q", None, "p"],
        }
    )
    x = _encode(frame, STATE)
    expected = np.array(
        [
            [1.0, 5.0, 1.0, 0.0],
            [0.0, 5.0, 0.0, 1.0],  # a missing: the reference mean; "q" is not a top level
            [0.0, 0.0, 2.0, np.nan],  # "zz": after the top levels; missing stays missing
            [-1.0, 5.0, np.nan, 0.0],
        ]
    )
    np.testing.assert_array_equal(x, expected)
    np.testing.assert_array_equal(categorical_mask(STATE), [False, False, True, True])
    assert categorical_mask({**STATE, "categories": {}}) is None


def _interaction(n: int, swapped: bool, rng: np.random.Generator) -> np.ndarray:
    """a ~ N(+1, 1) where c = x and N(-1, 1) where c = y; swapped: the other way round. The
    marginals of a (an equal mixture) and of c are the same either way."""
    c = rng.integers(0, 2, n).astype(float)
    sign = np.where(c == 0, 1.0, -1.0) * (-1.0 if swapped else 1.0)
    return np.column_stack([rng.normal(sign, 1.0), c])


def test_a_change_only_in_how_a_category_and_a_number_go_together_is_seen():
    rng = np.random.default_rng(11)
    mask = np.array([False, True])
    ref = _interaction(1000, False, rng)
    same = domain_auroc(ref, _interaction(1000, False, rng), 0, mask)
    swapped = domain_auroc(ref, _interaction(1000, True, rng), 0, mask)
    assert 0.4 < same < 0.6
    assert swapped > 0.8


def test_a_shift_in_one_category_s_share_is_seen():
    rng = np.random.default_rng(12)
    mask = np.array([False, True])
    levels = 12

    def sample(n: int, heavy: float) -> np.ndarray:
        p = np.full(levels, (1 - heavy) / (levels - 1))
        p[3] = heavy
        return np.column_stack([rng.normal(size=n), rng.choice(levels, n, p=p)])

    ref = sample(1000, 1 / levels)
    assert 0.4 < domain_auroc(ref, sample(1000, 1 / levels), 0, mask) < 0.6
    assert domain_auroc(ref, sample(1000, 0.6), 0, mask) > 0.7  # at best 0.78 (the share alone)
