"""``make bench``: the benchmark harness, its phases and the chaos runs (``run.py`` is the entry)."""
