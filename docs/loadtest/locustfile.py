"""Load-test scenario for the platform (locust); `make loadtest` runs it headless.

Two kinds of simulated people, in the proportions of a public map site:

- map browsers (anonymous, 4 in 5): pan around a downtown, each view asking for the
  vector tiles at z12–z15 and, now and then, the spaces list of a 1 km window, the
  national map page or a project's page;
- participants (signed in with an API token, 1 in 5): read a project and its
  comments, support it, and sometimes comment.

It reads the tokens, downtowns and project ids written by `manage.py loadtest_setup`
(LOADTEST_DATA, default var/loadtest/data.json). At the end it prints requests per
second, p50/p95/p99 and the error count for the browsing mix, the participation mix
and everything (docs/performance.md, "Load").
"""

import itertools
import json
import math
import os
import random
from pathlib import Path

from locust import HttpUser, between, events, task
from locust.stats import StatsEntry

DATA = json.loads(
    Path(os.environ.get("LOADTEST_DATA", "var/loadtest/data.json")).read_text()
)
TOKENS = itertools.cycle(DATA["tokens"])
# Request names of the participation mix; every other request is browsing.
PARTICIPATION = {
    "/api/v1/projects/[id]/",
    "/api/v1/projects/[id]/comments/",
    "POST /api/v1/projects/[id]/support/",
    "POST /api/v1/projects/[id]/comments/",
}


def near_downtown(spread_m: float = 1_000) -> tuple[float, float]:
    """A random place within `spread_m` of a random city hall."""
    _code, lon, lat = random.choice(DATA["centres"])
    radius = spread_m * math.sqrt(random.random())
    theta = random.random() * 2 * math.pi
    return (
        lon + radius * math.cos(theta) / (111_320 * math.cos(math.radians(lat))),
        lat + radius * math.sin(theta) / 110_540,
    )


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


class MapBrowser(HttpUser):
    weight = 4
    wait_time = between(0.5, 2.0)

    @task(6)
    def view_tiles(self):
        # One screen of a map: the 2 x 2 tiles around a place, spaces and projects.
        z = random.randint(12, 15)
        x, y = tile_at(*near_downtown(), z)
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            self.client.get(
                f"/tiles/spaces/{z}/{x + dx}/{y + dy}.mvt", name=f"/tiles/spaces/z{z}"
            )
        self.client.get(f"/tiles/projects/{z}/{x}/{y}.mvt", name="/tiles/projects/z")

    @task(3)
    def list_spaces_in_window(self):
        lon, lat = near_downtown(400)
        half_lon = 500 / (111_320 * math.cos(math.radians(lat)))
        half_lat = 500 / 110_540
        bbox = f"{lon - half_lon},{lat - half_lat},{lon + half_lon},{lat + half_lat}"
        self.client.get(
            f"/api/v1/spaces/?bbox={bbox}&page_size=100",
            name="/api/v1/spaces/?bbox (1 km)",
        )

    @task(2)
    def project_page(self):
        project = random.choice(DATA["projects"])
        self.client.get(f"/ko/projects/{project}/", name="/ko/projects/[id]/")

    @task(1)
    def national_map_page(self):
        self.client.get("/ko/map/", name="/ko/map/")


class Participant(HttpUser):
    weight = 1
    wait_time = between(1.0, 3.0)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {next(TOKENS)}"

    @task(4)
    def read_and_support(self):
        project = random.choice(DATA["projects"])
        self.client.get(f"/api/v1/projects/{project}/", name="/api/v1/projects/[id]/")
        self.client.get(
            f"/api/v1/projects/{project}/comments/",
            name="/api/v1/projects/[id]/comments/",
        )
        self.client.post(
            f"/api/v1/projects/{project}/support/",
            name="POST /api/v1/projects/[id]/support/",
        )

    @task(1)
    def comment(self):
        project = random.choice(DATA["projects"])
        self.client.post(
            f"/api/v1/projects/{project}/comments/",
            json={"body": "부하 시험 댓글입니다 (load test comment)."},
            name="POST /api/v1/projects/[id]/comments/",
        )


def _mix(stats, names, label: str) -> StatsEntry:
    total = StatsEntry(stats, label, "")
    for entry in stats.entries.values():
        if entry.name in names:
            total.extend(entry)
    return total


@events.quitting.add_listener
def print_summary(environment, **kwargs):
    stats = environment.stats
    browsing = {e.name for e in stats.entries.values()} - PARTICIPATION
    print("\nmix            requests  req/s    p50    p95    p99  errors")
    for entry in (
        _mix(stats, browsing, "browsing"),
        _mix(stats, PARTICIPATION, "participation"),
        stats.total,
    ):
        if not entry.num_requests:
            continue
        label = entry.name or "all"
        print(
            f"{label:<14} {entry.num_requests:8d} {entry.total_rps:6.1f} "
            f"{entry.get_response_time_percentile(0.5):6.0f} "
            f"{entry.get_response_time_percentile(0.95):6.0f} "
            f"{entry.get_response_time_percentile(0.99):6.0f} "
            f"{entry.num_failures:7d}"
        )
    print("(latencies in ms)")
