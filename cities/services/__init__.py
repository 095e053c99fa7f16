"""Writes of the cities app. Each sub-domain has its module; the names most callers
need are re-exported here."""

from cities.services.municipalities import DATA_DIR, demo_municipalities_load

__all__ = ["DATA_DIR", "demo_municipalities_load"]
