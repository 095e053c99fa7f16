"""Plumbing shared by every app, below `cities` and `renewal`: domain errors and the
permission check of services, geography constants and readers, rate limiting.
Nothing here imports an app of the project."""
