"""Helpers shared by the benchmark commands: percentiles, what the machine is and
the URL of a database on the platform's server."""

import math
import os
from urllib.parse import quote

from django.db import connection


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = share * (len(ordered) - 1)
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def machine_description() -> str:
    total_kib = 0
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                total_kib = int(line.split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SELECT postgis_lib_version()")
        postgis = cursor.fetchone()[0]
    return (
        f"{os.cpu_count()} CPUs, {total_kib / 1024 / 1024:.1f} GiB RAM, "
        f"PostgreSQL {postgres}, PostGIS {postgis}"
    )


def load_average() -> str:
    # Other work on the machine shows up in the p95 figures; say how busy it was.
    one, five, fifteen = os.getloadavg()
    return f"Load average: {one:.2f} {five:.2f} {fifteen:.2f}"


def bench_database_url(name: str) -> str:
    """The URL of database `name` on the server of the default database."""
    database = connection.settings_dict
    password = f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    return (
        f"postgis://{quote(database['USER'] or '')}{password}"
        f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"
    )
