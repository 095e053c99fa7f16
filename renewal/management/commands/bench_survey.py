"""The field survey on a slow phone: the size of a round's download and the time
the survey page takes to open (`make perf-survey`).

A round of --spaces buildings is made in the first municipality of the database
(removed again afterwards). With the network throttled as `make perf-pages` does it
(Lighthouse's "Fast 3G" / slow 4G, CPU slowed 4×, 390×844), the command opens the
survey page cold, downloads the round, and opens the page again with the round on
the phone, as a surveyor does each morning; times are the browser's own
(performance.now() when the page has drawn its list of buildings).
"""

import os
import statistics
from contextlib import contextmanager
from importlib import import_module

import requests
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.contrib.gis.geos import Point
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from cities.models import Municipality
from renewal.benchmarks.pages import (
    CHROMIUM_PATH,
    CPU_SLOWDOWN,
    DOWNLOAD_BYTES_PER_S,
    LATENCY_FACTOR,
    PHONE,
    RTT_MS,
    UPLOAD_BYTES_PER_S,
    production_server,
)
from renewal.models import SurveyRound, VacantSpace
from renewal.services.surveys import (
    survey_assignment_create,
    survey_round_create,
    survey_round_spaces_add,
)

PACKAGE_LIMIT_BYTES = 3 * 1024 * 1024
OPEN_TARGET_MS = 2000
BENCH_NAME = "benchmark round (bench_survey)"


def _throttle(context, page):
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": RTT_MS * LATENCY_FACTOR,
            "downloadThroughput": DOWNLOAD_BYTES_PER_S,
            "uploadThroughput": UPLOAD_BYTES_PER_S,
        },
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--spaces", type=int, default=2000)
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--port", type=int, default=8201)
        parser.add_argument("--url", help="a running server instead of gunicorn")

    def handle(self, *args, spaces: int, repeat: int, port: int, url, **options):
        municipality = Municipality.objects.order_by("pk").first()
        if municipality is None:
            raise CommandError("No municipality: load the demo data first (load_demo).")
        survey_round, user = self._setup(municipality, spaces)
        try:
            session = self._session(user)
            # The server signs sessions with this key: it must be the same one.
            os.environ.setdefault("SECRET_KEY", settings.SECRET_KEY)
            server = self._given(url) if url else production_server(port)
            with server as base:
                size = self._package_bytes(base, survey_round, session)
                rows = [self._open(base, survey_round, session) for _ in range(repeat)]
        finally:
            self._teardown(survey_round, user)
        first = [row[0] for row in rows]
        download = [row[1] for row in rows]
        reopen = [row[2] for row in rows]
        self.stdout.write(
            f"Fast 3G ({DOWNLOAD_BYTES_PER_S * 8 / 1e6:.2f} Mbit/s down, "
            f"{RTT_MS * LATENCY_FACTOR:.1f} ms latency), CPU x{CPU_SLOWDOWN}, "
            f"390x844, {repeat} runs, {spaces} buildings\n"
        )
        self.stdout.write("| measure | median | worst |")
        self.stdout.write("| --- | ---: | ---: |")
        self.stdout.write(f"| package size (bytes, uncompressed) | {size:,} | |")
        for name, values in (
            ("first open, nothing on the phone (ms)", first),
            ("download of the round (ms)", download),
            ("open with the round on the phone (ms)", reopen),
        ):
            self.stdout.write(
                f"| {name} | {statistics.median(values):.0f} | {max(values):.0f} |"
            )
        if size >= PACKAGE_LIMIT_BYTES or statistics.median(reopen) >= OPEN_TARGET_MS:
            raise CommandError("Over the targets: 3 MB package, 2 s to open.")

    @contextmanager
    def _given(self, url):
        yield url.rstrip("/")

    @transaction.atomic
    def _setup(self, municipality, count: int):
        import datetime

        user, _created = get_user_model().objects.get_or_create(
            username="bench-surveyor"
        )
        survey_round = survey_round_create(
            actor=None,
            municipality=municipality,
            data={
                "name": BENCH_NAME,
                "grading_scheme": "national-2023",
                "starts_on": datetime.date.today(),
                "ends_on": datetime.date.today(),
            },
        )
        centre = municipality.location
        created = VacantSpace.objects.bulk_create(
            VacantSpace(
                municipality=municipality,
                external_id=f"bench-survey-{survey_round.pk}-{n}",
                kind="house" if n % 3 else "shop",
                status="reported",
                address=f"벤치마크로 {n // 100}번길 {n % 100}-{n % 7}",
                location=Point(
                    centre.x + 0.00002 * (n % 100 - 50),
                    centre.y + 0.00002 * (n // 100 - 10),
                    srid=4326,
                ),
                grading_scheme="national-2023" if n % 3 else "",
                grade=(n % 3) + 1 if n % 3 else None,
            )
            for n in range(count)
        )
        survey_round_spaces_add(
            survey_round=survey_round, space_ids=[space.pk for space in created]
        )
        survey_assignment_create(actor=None, survey_round=survey_round, surveyor=user)
        return survey_round, user

    def _teardown(self, survey_round: SurveyRound, user) -> None:
        space_ids = list(survey_round.round_spaces.values_list("space_id", flat=True))
        survey_round.delete()
        VacantSpace.objects.filter(pk__in=space_ids).delete()
        user.delete()

    def _session(self, user) -> str:
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        # The backend that signs people in (the rules backend only answers rules).
        store[BACKEND_SESSION_KEY] = next(
            path
            for path in settings.AUTHENTICATION_BACKENDS
            if hasattr(import_string(path), "get_user")
        )
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    def _package_bytes(self, base: str, survey_round, session: str) -> int:
        response = requests.get(
            f"{base}/api/v1/survey-rounds/{survey_round.pk}/package/",
            cookies={settings.SESSION_COOKIE_NAME: session},
            headers={"Accept": "application/json", "Accept-Encoding": "identity"},
            timeout=60,
        )
        if response.status_code != 200:
            raise CommandError(f"The package answered {response.status_code}.")
        return len(response.content)

    def _open(self, base: str, survey_round, session: str) -> tuple[float, ...]:
        from playwright.sync_api import sync_playwright

        url = f"{base}/ko/survey/{survey_round.pk}/"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM_PATH,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-quic"],
            )
            try:
                context = browser.new_context(
                    viewport=PHONE, locale="ko-KR", is_mobile=True
                )
                context.add_cookies(
                    [
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": session,
                            "url": base,
                        }
                    ]
                )
                page = context.new_page()
                _throttle(context, page)
                page.goto(url, timeout=120_000)
                page.wait_for_selector(
                    "body[data-survey-ready='true']", timeout=120_000
                )
                first = float(page.get_attribute("body", "data-ready-ms"))
                started = page.evaluate("performance.now()")
                page.click("#survey-download")
                page.wait_for_selector("#survey-buildings li", timeout=120_000)
                download = page.evaluate("performance.now()") - started
                page.reload(timeout=120_000)
                page.wait_for_selector(
                    "body[data-survey-ready='true']", timeout=120_000
                )
                page.wait_for_selector("#survey-buildings li", timeout=120_000)
                reopen = float(page.get_attribute("body", "data-ready-ms"))
                context.close()
            finally:
                browser.close()
        return first, download, reopen
