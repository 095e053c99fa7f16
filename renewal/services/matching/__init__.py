"""Matching projects with spaces, organisations and resources.

scoring: the explained score of one pair; assignment: the optimal one-to-one solver;
runs: city-wide assignment runs and their debounced re-runs; matches: the match
lifecycle and use agreements. See docs/matching.md.
"""
