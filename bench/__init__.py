"""Benchmarks: commands that print figures (never timed tests). `python -m bench` runs them
all against a local stack and writes bench/results/; see docs/benchmarks.md."""
