"""ETA: a regressor predicting delivery time in minutes, one row per order.

The true delivery time is preparation time plus riding time (distance over a speed that
depends on vehicle, weather and Paris traffic) plus courier load, rush hours, a city offset
and skewed noise. ``hour`` is the hour of the order's timestamp.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitoring_pipelines.config import Task
from monitoring_pipelines.demo.process import LabelPolicy, Process, categorical, is_in, lookup
from monitoring_pipelines.demo.schedule import Active, EventSpec

CITIES = ("paris", "lyon", "marseille", "lille", "bordeaux")
PREP_WEIGHT, PREP_WEIGHT_DRIFTED = 1.0, 2.0
LYON_BIAS, LYON_EXTRA_NOISE = 9.0, 7.0
LYON_DETOUR = 1.8
DISTANCE_FACTOR = 1.6


class EtaProcess(Process):
    """Food orders: features at order time, the true delivery minutes."""

    name = "eta"
    task = Task.regression
    columns = (
        "distance_km", "items", "prep_time_min", "courier_load", "hour", "city", "vehicle",
        "weather",
    )  # fmt: skip
    volume_share = 0.5
    weekday_volume = (0.95, 0.95, 0.95, 1.0, 1.08, 1.1, 1.05)
    hour_profile = (
        0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.8, 1.0, 1.5, 3.5,
        5.0, 4.0, 2.0, 1.2, 1.2, 1.8, 3.5, 5.0, 4.5, 3.0, 1.5, 0.6,
    )  # fmt: skip
    latency_ms = (22.0, 0.42)
    label_policy = LabelPolicy(schedule="daily", delays=(1, 2), probs=(0.7, 0.3), never_rate=0.01)
    events = (
        EventSpec(
            "slow_kitchens", "concept_drift", 32, 23, features=("prep_time_min",),
            details={
                "mechanism": "kitchens short of staff: the true delivery time depends twice "
                "as much on prep_time_min; the inputs' distributions are unchanged",
                "prep_time_weight": {"before": PREP_WEIGHT, "during": PREP_WEIGHT_DRIFTED},
                "affects": "labels",
            },
        ),
        EventSpec(
            "lyon_roadworks", "degraded_segment", 21, 14, segment=("city", "lyon"),
            details={
                "mechanism": "road works close Lyon's bridges: the routing engine sends "
                "couriers round detours, so logged route distances there are longer (visible "
                "in the inputs), and true delivery times are longer and noisier still, which "
                "the model cannot see",
                "route_distance_factor": LYON_DETOUR,
                "label_bias_minutes": LYON_BIAS,
                "label_extra_noise_sd_minutes": LYON_EXTRA_NOISE,
                "affects": "labels and distance_km in lyon",
                "note": "city is also eta's sensitive attribute: fairness by city shows this gap",
            },
        ),
        EventSpec("outage", "volume_drop", 13, 11, details={"volume_factor": 0.3}),
        EventSpec(
            "suburbs", "covariate_drift", 9, 0, features=("distance_km",),
            details={
                "mechanism": "service opened in the suburbs: every distance is 1.6x longer",
                "distance_km": {"factor": DISTANCE_FACTOR},
                "concept_unchanged": True,
            },
        ),
    )  # fmt: skip

    def sample(
        self, n: int, rng: np.random.Generator, active: Active, hours: np.ndarray
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Orders and their true delivery time in minutes."""
        city = categorical(rng, n, CITIES, (0.36, 0.2, 0.18, 0.14, 0.12))
        vehicle = categorical(rng, n, ("bike", "scooter", "car"), (0.4, 0.4, 0.2))
        weather = categorical(rng, n, ("clear", "rain", "snow"), (0.72, 0.24, 0.04))
        distance = np.clip(rng.lognormal(1.05, 0.55, n), 0.3, 30.0)
        distance = distance * np.where(active("suburbs"), DISTANCE_FACTOR, 1.0)
        lyon = active("lyon_roadworks") & is_in(city, "lyon")
        distance = np.round(distance * np.where(lyon, LYON_DETOUR, 1.0), 2)
        items = 1 + rng.poisson(1.3, n).astype(np.int64)
        prep = np.round(rng.gamma(4.0, 3.0, n) + 1.2 * items, 1)
        load = rng.poisson(1.5, n).astype(np.int64)
        hour = hours.astype(np.int64)

        speed = lookup(vehicle, {"bike": 15.0, "scooter": 24.0, "car": 28.0})
        speed = speed * lookup(weather, {"clear": 1.0, "rain": 0.85, "snow": 0.6})
        speed = speed * np.where(is_in(city, "paris") & is_in(vehicle, "car"), 0.6, 1.0)
        rush = np.where(np.isin(hour, (12, 13, 19, 20)), 5.0, 0.0)
        prep_weight = np.where(active("slow_kitchens"), PREP_WEIGHT_DRIFTED, PREP_WEIGHT)
        minutes = (
            4.0
            + prep_weight * prep
            + 60.0 * distance / speed
            + 2.5 * load
            + rush
            + lookup(city, {"paris": 3.0, "marseille": 1.0, "lille": -1.0})
            + rng.gamma(2.0, 2.0, n)
            - 4.0
            + 2.0 * rng.standard_normal(n)
        )
        minutes = minutes + lyon * (LYON_BIAS + LYON_EXTRA_NOISE * rng.standard_normal(n))
        minutes = np.round(np.maximum(minutes, 3.0), 1)
        inputs = pd.DataFrame(
            {
                "distance_km": distance,
                "items": items,
                "prep_time_min": prep,
                "courier_load": load,
                "hour": hour,
                "city": city,
                "vehicle": vehicle,
                "weather": weather,
            }
        )
        return inputs, minutes
