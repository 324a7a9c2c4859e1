"""A user's trainer, plugged in as ``tests.retraining.trainers:majority``: always the most
frequent class (a challenger that must never be promoted)."""

from sklearn.dummy import DummyClassifier


def majority(cfg, inputs, target, *, seed=0, sample_weight=None):
    return DummyClassifier(strategy="most_frequent").fit(inputs, target)
