"""Retraining: build a training set, train a challenger, evaluate it against the champion on
recent labelled data (performance and fairness), register it, promote it only if better."""
