"""Bake-offs and benchmark results: accuracy, latency and cost, side by side."""
