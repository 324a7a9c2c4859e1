"""The human review queue: rows sent to people against their capacity and the backlog it
builds, the control group's precision, and an importance-sampled audit of negatives giving
an unbiased (Horvitz-Thompson) recall estimate."""
