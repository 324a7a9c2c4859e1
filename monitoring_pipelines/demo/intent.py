"""Intent: a multiclass classifier routing support tickets to billing, technical, account or
other.

The intent is drawn from a prior that depends on the product and the channel; the message
length, the number of previous tickets and the account age are then drawn given the intent
(as a ticket's text follows from its purpose). The launch of a product the model never saw
('fibre'), bought by new customers whose young accounts mislead the model, is the demo's
retraining story; it keeps the overall intent mix, and P(intent | inputs) for known products.
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

CLASSES = ("billing", "technical", "account", "other")
PRODUCTS = ("mobile", "internet", "tv", "bundle", "fibre")
PRODUCT_MIX = (0.35, 0.30, 0.15, 0.20, 0.0)
PRODUCT_MIX_AFTER = (0.25, 0.22, 0.10, 0.15, 0.28)
PRIOR_BY_PRODUCT = {
    "mobile": (0.3, 0.2, 0.0, -0.3),
    "internet": (-0.2, 0.9, -0.3, -0.6),
    "tv": (0.0, 0.6, -0.4, -0.3),
    "bundle": (0.8, 0.2, 0.1, -0.5),
    "fibre": (0.64, 0.93, 0.28, 0.0),
}
"""Intent log-odds by product. The fibre row is solved so that, with the launch's product mix,
the overall intent mix stays as before (within 0.05 points): the launch moves ``product`` and
``account_age_days`` and nothing else."""
PRIOR_BY_CHANNEL = {
    "email": (0.3, 0.0, 0.0, 0.0),
    "chat": (0.0, 0.3, 0.0, 0.0),
    "phone": (0.0, 0.0, 0.5, 0.0),
    "web": (0.0, 0.0, 0.0, 0.3),
}
MESSAGE_CHARS = (240.0, 600.0, 140.0, 330.0)
PREVIOUS_TICKETS = (0.6, 2.4, 0.4, 0.9)
ACCOUNT_AGE_DAYS = (1000.0, 900.0, 60.0, 700.0)
NEW_CUSTOMER_AGE_DAYS = 30.0
"""Mean account age of fibre customers, whatever their intent: they all just signed up."""
LANGUAGE_VERBOSITY = {"en": 1.0, "fr": 1.1, "de": 1.15, "es": 1.05}


class IntentProcess(Process):
    """Support tickets and their true intent."""

    name = "intent"
    task = Task.multiclass
    columns = (
        "message_length", "n_previous_tickets", "account_age_days", "channel", "language",
        "product",
    )  # fmt: skip
    volume_share = 0.25
    weekday_volume = (1.05, 1.02, 1.0, 1.0, 0.98, 0.9, 0.9)
    hour_profile = (
        0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.5, 3.8, 3.6,
        3.0, 3.2, 3.6, 3.4, 3.0, 2.5, 1.8, 1.5, 1.2, 0.9, 0.6, 0.4,
    )  # fmt: skip
    latency_ms = (65.0, 0.35)
    label_policy = LabelPolicy(
        schedule="daily", delays=(2, 3, 4), probs=(0.25, 0.5, 0.25), never_rate=0.04
    )
    events = (
        EventSpec("no_export", "missing_day", 18, 18, details={
            "reason": "the day's log export never ran: no file for this day",
        }),
        EventSpec(
            "fibre_launch", "covariate_drift", 11, 0, features=("product", "account_age_days"),
            details={
                "mechanism": "a fibre offer launched: a product the model never saw "
                "('fibre') takes 28 % of tickets, from new customers (young accounts whatever "
                "their intent); the overall intent mix, and so the other inputs' "
                "distributions, do not change. The model reads 'fibre' as missing and takes "
                "young accounts for account questions, so it errs more; a model retrained "
                "on recent labelled tickets learns the new product and recovers",
                "product": {
                    "before": dict(zip(PRODUCTS, PRODUCT_MIX, strict=True)),
                    "after": dict(zip(PRODUCTS, PRODUCT_MIX_AFTER, strict=True)),
                },
                "new_categories": {"product": ["fibre"]},
                "account_age_days": {"fibre_customers_mean": NEW_CUSTOMER_AGE_DAYS},
                "concept_unchanged_for_known_products": True,
            },
        ),
    )  # fmt: skip

    def sample(
        self, n: int, rng: np.random.Generator, active: Active, hours: np.ndarray
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Tickets and their true intent (class name)."""
        channel = categorical(rng, n, tuple(PRIOR_BY_CHANNEL), (0.35, 0.3, 0.15, 0.2))
        language = categorical(rng, n, tuple(LANGUAGE_VERBOSITY), (0.5, 0.25, 0.15, 0.1))
        product = shifted_categorical(
            rng, PRODUCTS, PRODUCT_MIX, PRODUCT_MIX_AFTER, active("fibre_launch")
        )
        logits = np.zeros((n, len(CLASSES)))
        for k in range(len(CLASSES)):
            logits[:, k] = lookup(product, {p: v[k] for p, v in PRIOR_BY_PRODUCT.items()})
            logits[:, k] += lookup(channel, {c: v[k] for c, v in PRIOR_BY_CHANNEL.items()})
        intent = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)

        age = np.where(
            is_in(product, "fibre"), NEW_CUSTOMER_AGE_DAYS, np.asarray(ACCOUNT_AGE_DAYS)[intent]
        )
        verbosity = lookup(language, LANGUAGE_VERBOSITY)
        chars = np.asarray(MESSAGE_CHARS)[intent] * verbosity * rng.lognormal(-0.1, 0.45, n)
        inputs = pd.DataFrame(
            {
                "message_length": np.maximum(np.round(chars), 5).astype(np.int64),
                "n_previous_tickets": rng.poisson(np.asarray(PREVIOUS_TICKETS)[intent]),
                "account_age_days": np.minimum(np.round(rng.exponential(age)), 3650).astype(
                    np.int64
                ),
                "channel": channel,
                "language": language,
                "product": product,
            }
        )
        return inputs, np.asarray(CLASSES, dtype=object)[intent]
