"""Churn: a binary classifier scoring subscription customers once a day.

Ground truth is a logistic function of tenure, price, support calls, usage, inactivity,
discount, payment method and region (with a tenure x support-calls interaction). Gender and
age band are logged but are not model inputs, and do not drive churn, except during the
fairness-gap event. ``review_control`` marks the review control group: a random
:data:`CONTROL_SHARE` of customers whose retention decision people take whatever the model
said (drawn from a child generator, so the other columns are unchanged by it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitoring_pipelines.config import Task
from monitoring_pipelines.demo.process import (
    LabelPolicy,
    Process,
    categorical,
    is_in,
    lookup,
    shifted_categorical,
)
from monitoring_pipelines.demo.schedule import Active, EventSpec

PLANS = ("basic", "standard", "premium")
PLAN_MIX = (0.45, 0.35, 0.20)
REGIONS = ("north", "south", "east", "west")
PAYMENTS = ("card", "bank_transfer", "paypal", "invoice")
PAYMENT_MIX = (0.45, 0.25, 0.20, 0.10)
PAYMENT_MIX_AFTER = (0.30, 0.20, 0.15, 0.35)
AGE_BANDS = ("18-25", "26-40", "41-60", "61+")
PRICE_SHIFT = 12.0
CALLS_FACTOR = 1.6
YOUNG_EXTRA_LOGIT = 1.4
CONTROL_SHARE = 0.02  # as review.control_share in config/models/churn.yaml


class ChurnProcess(Process):
    """Subscription customers, scored daily for 30-day churn."""

    name = "churn"
    task = Task.binary
    columns = (
        "tenure_months", "monthly_charges", "support_calls", "usage_gb", "days_since_login",
        "discount_pct", "plan", "region", "payment_method", "gender", "age_band",
        "review_control",
    )  # fmt: skip
    weekday_volume = (1.0, 1.0, 1.0, 1.0, 1.0, 0.92, 0.92)
    hour_profile = (1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 3, 2, 2, 1)
    latency_ms = (42.0, 0.38)
    label_policy = LabelPolicy(schedule="weekly", delays=(14,), weekday=0, never_rate=0.08,
                               hours=(2, 3))  # fmt: skip
    events = (
        EventSpec(
            "lost_label_batch", "missing_labels", 33, 33,
            details={"reason": "this day's labels were lost upstream and never arrive"},
        ),
        EventSpec(
            "young_churn", "fairness_gap", 31, 22, group=("age_band", "18-25"),
            details={
                "mechanism": "a competitor's promotion aimed at 18-25 year olds: they churn "
                "more, for reasons the model cannot see (churn log-odds +1.4); the model's "
                "inputs and scores are unchanged, so its recall drops for this group only",
                "affects": "labels",
            },
        ),
        EventSpec(
            "broken_feed", "broken_day", 19, 19,
            features=("monthly_charges", "usage_gb", "discount_pct"),
            details={
                "renamed": {"monthly_charges": "monthly_charge"},
                "null_burst": {"usage_gb": 0.4},
                "out_of_range": {"discount_pct": {"value": 250, "share": 0.1}},
                "model_input": "the model saw monthly_charges as missing (null), usage_gb "
                "nulls and discount_pct 250 as logged; labels follow the true values",
            },
        ),
        EventSpec(
            "price_rise", "covariate_drift", 14, 0,
            features=("monthly_charges", "support_calls"),
            details={
                "monthly_charges": {"shift": PRICE_SHIFT},
                "support_calls": {"rate_factor": CALLS_FACTOR},
                "concept_unchanged": True,
            },
        ),
        EventSpec(
            "invoice_push", "covariate_drift", 9, 0, features=("payment_method",),
            details={
                "payment_method": {
                    "before": dict(zip(PAYMENTS, PAYMENT_MIX, strict=True)),
                    "after": dict(zip(PAYMENTS, PAYMENT_MIX_AFTER, strict=True)),
                },
                "concept_unchanged": True,
            },
        ),
    )  # fmt: skip

    def sample(
        self, n: int, rng: np.random.Generator, active: Active, hours: np.ndarray
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Customers and whether they churn (0/1)."""
        price_rise = active("price_rise")
        plan = categorical(rng, n, PLANS, PLAN_MIX)
        tenure = np.minimum(np.round(rng.gamma(1.6, 14.0, n)), 72).astype(np.int64)
        base_price = lookup(plan, {"basic": 29.0, "standard": 59.0, "premium": 94.0})
        spread = lookup(plan, {"basic": 4.0, "standard": 6.0, "premium": 9.0})
        charges = base_price + spread * rng.standard_normal(n) + PRICE_SHIFT * price_rise
        charges = np.round(np.maximum(charges, 5.0), 2)
        calls = rng.poisson(np.where(price_rise, 1.1 * CALLS_FACTOR, 1.1)).astype(np.int64)
        usage_mean = lookup(plan, {"basic": 15.0, "standard": 40.0, "premium": 90.0})
        usage = np.round(usage_mean * rng.lognormal(-0.18, 0.6, n), 1)
        inactive = np.minimum(np.round(rng.exponential(7.0, n)), 120).astype(np.int64)
        discount = rng.choice(
            np.array([0, 5, 10, 15, 20, 30]), size=n, p=[0.55, 0.12, 0.12, 0.09, 0.07, 0.05]
        ).astype(np.int64)
        region = categorical(rng, n, REGIONS, (0.3, 0.2, 0.25, 0.25))
        payment = shifted_categorical(
            rng, PAYMENTS, PAYMENT_MIX, PAYMENT_MIX_AFTER, active("invoice_push")
        )
        gender = categorical(rng, n, ("F", "M"), (0.5, 0.5))
        age_band = categorical(rng, n, AGE_BANDS, (0.2, 0.35, 0.3, 0.15))

        logit = (
            -1.75
            - 0.06 * tenure
            + 0.045 * (charges - 55.0)
            + 0.55 * calls
            + 0.45 * calls * (tenure < 12)
            - 0.008 * usage
            + 0.085 * inactive
            - 0.05 * discount
            + lookup(payment, {"invoice": 0.9, "paypal": 0.3})
            + lookup(plan, {"basic": 0.25, "premium": -0.4})
            + lookup(region, {"south": 0.3, "east": -0.15})
        )
        logit = logit + YOUNG_EXTRA_LOGIT * (active("young_churn") & is_in(age_band, "18-25"))
        churned = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
        control = rng.spawn(1)[0].random(n) < CONTROL_SHARE  # leaves rng's own stream as it was
        inputs = pd.DataFrame(
            {
                "tenure_months": tenure,
                "monthly_charges": charges,
                "support_calls": calls,
                "usage_gb": usage,
                "days_since_login": inactive,
                "discount_pct": discount,
                "plan": plan,
                "region": region,
                "payment_method": payment,
                "gender": gender,
                "age_band": age_band,
                "review_control": control,
            }
        )
        return inputs, churned
