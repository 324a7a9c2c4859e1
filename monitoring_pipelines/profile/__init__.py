"""Per-day feature profiles: the summary statistics every later vital sign starts from."""
