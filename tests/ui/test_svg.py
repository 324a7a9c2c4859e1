"""The report's SVG charts: well formed, and what they draw is where the data says."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest

from monitoring_pipelines.report import svg

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(6)]


def _parse(markup: str) -> ElementTree.Element:
    root = ElementTree.fromstring(markup)
    assert root.tag == "svg" and "xmlns" not in markup and "http" not in markup
    return root


def _circles(root) -> list[tuple[float, float, str]]:
    return [
        (float(c.get("cx")), float(c.get("cy")), c.find("title").text) for c in root.iter("circle")
    ]


@pytest.mark.parametrize(
    ("lo", "hi"),
    [
        (0.0, 1.0),
        (0.8712, 0.8734),
        (-3.0, 250.0),
        (5.0, 5.0),
        (0.0, 0.0),
        (1e-6, 3e-6),
        (0.1, 0.1000000000001),  # float noise on a flat series
        (3.0, 3.0000000000000004),
        (1e15, 1e15 + 1),
        (1e20, 1.00000001e20),
        (-1e-9, 1e-9),
    ],
)
def test_nice_ticks_cover_the_range_with_round_steps(lo, hi):
    ticks = svg.nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi and 2 <= len(ticks) <= 7
    steps = np.diff(ticks)
    assert (steps > 0).all() and np.allclose(steps, steps[0], rtol=1e-6)
    mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]) + 1e-9)
    assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5))


def test_line_points_follow_the_values_and_a_gap_breaks_the_line():
    values = [0.9, 0.8, np.nan, 0.5, 0.6, 0.7]
    status = ["ok", "ok", "ok", "alert", "warn", "ok"]
    frame = pd.DataFrame({"day": DAYS, "value": values, "status": status})
    root = _parse(svg.lines_over_days({"accuracy": frame}, title="acc <&> over days"))
    assert root.find("title").text == "acc <&> over days"  # escaped in, unescaped out
    points = _circles(root)
    assert len(points) == 5  # the missing day has no point
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    assert xs == sorted(xs)
    # SVG y grows downwards: a larger value is higher up; equal steps in value, equal pixels
    finite = [v for v in values if np.isfinite(v)]
    slope = np.polyfit(finite, ys, 1)
    assert slope[0] < 0 and np.allclose(np.polyval(slope, finite), ys, atol=0.15)
    # two polylines (before and after the gap), the alert and warn days drawn in their colours
    assert len(list(root.iter("polyline"))) == 2
    fills = [c.get("fill") for c in root.iter("circle")]
    assert fills.count(svg.STATUS_COLOR["alert"]) == 1
    assert fills.count(svg.STATUS_COLOR["warn"]) == 1
    assert points[2][2] == f"{DAYS[3]}: accuracy 0.5 (alert)"


def test_band_and_interval_bracket_the_value():
    est = pd.DataFrame({"day": DAYS, "value": [0.8] * 6, "lower": [0.75] * 6, "upper": [0.85] * 6})
    real = pd.DataFrame(
        {"day": DAYS[::2], "value": [0.82, 0.7, 0.9], "lower": [0.8, 0.65, 0.88]}
    ).assign(upper=[0.84, 0.75, 0.92])
    root = _parse(svg.realized_vs_estimated(est, real, metric="roc_auc"))
    (band,) = list(root.iter("polygon"))
    band_y = [float(p.split(",")[1]) for p in band.get("points").split()]
    realized = [c for c in _circles(root) if "realized" in c[2]]
    assert len(realized) == 3
    lines = [
        ln for ln in root.iter("line") if ln.get("stroke") == "#e65100"
    ]  # one interval per realized day
    assert len(lines) == 3
    for (cx, cy, _), ln in zip(realized, lines, strict=True):
        top, bottom = sorted((float(ln.get("y1")), float(ln.get("y2"))))
        assert top < cy < bottom and float(ln.get("x1")) == pytest.approx(cx, abs=0.1)
    estimated = [c for c in _circles(root) if "estimated" in c[2]]
    assert all(min(band_y) < cy < max(band_y) for _, cy, _ in estimated)


def test_heatmap_outlines_exactly_the_cells_at_the_threshold():
    matrix = pd.DataFrame(
        [[0.1, 1.0, 2.5], [np.nan, 0.99, 3.5]], index=["f1", "f<2>"], columns=DAYS[:3]
    )
    root = _parse(svg.heatmap(matrix, title="drift", threshold=1.0, vmax=3.0))
    cells = [r for r in root.iter("rect") if r.find("title") is not None]
    assert len(cells) == 6
    outlined = {r.find("title").text for r in cells if r.get("stroke")}
    assert outlined == {f"f1, {DAYS[1]}: 1", f"f1, {DAYS[2]}: 2.5", f"f<2>, {DAYS[2]}: 3.5"}
    colour = {r.find("title").text: r.get("fill") for r in cells}
    assert colour[f"f<2>, {DAYS[0]}: n/a"] == "#eef1f4"  # missing: blank, not zero
    assert colour[f"f<2>, {DAYS[2]}: 3.5"] == svg.YLORRD[-1]  # saturates at vmax
    assert colour[f"f1, {DAYS[0]}: 0.1"] == svg.YLORRD[0]


def test_bars_are_proportional_to_values_and_start_at_zero():
    root = _parse(
        svg.bars(["a", "b", "c"], [2.0, 1.0, -0.5], ["alert", "ok", "warn"], title="effects")
    )
    bars = {r.find("title").text.split(":")[0]: r for r in root.iter("rect")}
    width = {k: float(r.get("width")) for k, r in bars.items()}
    assert width["a"] == pytest.approx(2 * width["b"], rel=0.01)
    assert width["c"] == pytest.approx(width["b"] / 2, rel=0.02)
    assert float(bars["c"].get("x")) + width["c"] == pytest.approx(
        float(bars["b"].get("x")), abs=0.1
    )
    assert bars["a"].get("fill") == svg.STATUS_COLOR["alert"]
    ys = [float(bars[k].get("y")) for k in "abc"]
    assert ys == sorted(ys)  # first label on top


def test_empty_inputs_still_draw():
    empty = pd.DataFrame(columns=["day", "value", "lower", "upper"])
    _parse(svg.realized_vs_estimated(empty, empty, metric="f1"))
    _parse(svg.heatmap(pd.DataFrame(), title="nothing"))
    _parse(
        svg.lines_over_days({"x": pd.DataFrame({"day": DAYS[:1], "value": [np.nan]})}, title="t")
    )
