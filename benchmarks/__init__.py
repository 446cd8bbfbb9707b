"""Benchmarks: `python benchmarks/speed.py` times the dashboard against a naive baseline."""
