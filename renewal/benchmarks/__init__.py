"""Benchmark support: the synthetic inventory, raw SQL and shared helpers."""
