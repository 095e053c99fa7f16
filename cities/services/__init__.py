"""Writes of the cities app. Each sub-domain has its module; the names most callers
need are re-exported here."""

from cities.services.demo_indicators import demo_indicators_load
from cities.services.municipalities import (
    CENSUS_INDICATORS,
    CENSUS_SOURCE,
    DATA_DIR,
    DemoLoadResult,
    demo_municipalities_load,
)

__all__ = [
    "CENSUS_INDICATORS",
    "CENSUS_SOURCE",
    "DATA_DIR",
    "DemoLoadResult",
    "demo_indicators_load",
    "demo_municipalities_load",
]
