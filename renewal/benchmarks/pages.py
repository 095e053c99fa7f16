"""Largest Contentful Paint of the public pages on a slow phone (`make perf-pages`).

Chromium through Playwright with the network throttled as Lighthouse's mobile
profile does it in DevTools ("Fast 3G" / slow 4G: 1.6 Mbps down, 750 kbps up, 150 ms
round trip times Chromium's 3.75 latency factor, 90 % of the bandwidth) and the CPU
slowed four times. Each page is loaded cold (a new browser context) REPEAT times;
the median LCP and the JavaScript transferred (compressed, as sent) are printed as a
Markdown table for docs/performance.md.

Without --url, gunicorn is started with production settings (compressed static files)
on the database in DATABASE_URL, which must hold the demo data (`make perf-pages`
loads it). With --url, a running server (`make run`) is measured instead.
"""

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright

BASE_DIR = Path(__file__).resolve().parent.parent.parent
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LCP_TARGET_MS = 2500

# Lighthouse's constants for DevTools throttling (lighthouse-core/config/constants.js).
RTT_MS = 150
LATENCY_FACTOR = 3.75
THROUGHPUT_FACTOR = 0.9
DOWNLOAD_BYTES_PER_S = 1.6 * 1024 * 1024 * THROUGHPUT_FACTOR / 8
UPLOAD_BYTES_PER_S = 750 * 1024 * THROUGHPUT_FACTOR / 8
CPU_SLOWDOWN = 4
PHONE = {"width": 390, "height": 844}

LCP_OBSERVER = """
window.__lcp = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__lcp = entry.startTime;
}).observe({type: "largest-contentful-paint", buffered: true});
"""


def _answering(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def production_server(port: int):
    env = dict(
        os.environ,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        LOG_LEVEL="WARNING",
        # Base-map tiles come from the internet, which a measuring machine may not
        # reach; the pages draw their own outlines without them.
        MAP_TILE_URL=os.environ.get("MAP_TILE_URL", ""),
    )
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(Path(python).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            # As in production behind a proxy and in the load test: connections
            # are kept alive, so a page's files do not each open their own.
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--keep-alive",
            "10",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(120):
            if _answering(f"{base}/healthz"):
                break
            time.sleep(0.5)
        else:
            raise SystemExit(f"gunicorn did not answer {base}/healthz")
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _first_project(base: str) -> tuple[str, int]:
    """A project that the public can see, and its city, from the API."""
    body = requests.get(
        f"{base}/api/v1/projects/?page_size=1",
        headers={"Accept": "application/json"},
        timeout=30,
    ).json()
    items = body.get("features") or body.get("results") or []
    if not items:
        raise SystemExit("No public project: load the demo data first (load_demo).")
    item = items[0]
    properties = item.get("properties", item)
    city = properties.get("municipality") or properties.get("city")
    if isinstance(city, dict):
        city = city.get("code")
    return str(city), int(item["id"])


def measure(browser, url: str) -> tuple[float, int]:
    """LCP in ms and the JavaScript bytes transferred, for one cold load."""
    context = browser.new_context(viewport=PHONE, locale="ko-KR", is_mobile=True)
    try:
        context.add_init_script(script=LCP_OBSERVER)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
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
        scripts: set[str] = set()
        script_bytes = 0

        def on_response(event):
            if event.get("type") == "Script":
                scripts.add(event["requestId"])

        def on_finished(event):
            nonlocal script_bytes
            if event["requestId"] in scripts:
                script_bytes += int(event["encodedDataLength"])

        cdp.on("Network.responseReceived", on_response)
        cdp.on("Network.loadingFinished", on_finished)
        page.goto(url, wait_until="load", timeout=120_000)
        # Later paints (a map's data) may still become the largest; a page that
        # keeps a request open is read as it stands.
        with suppress(PlaywrightTimeoutError):
            page.wait_for_load_state("networkidle", timeout=20_000)
        lcp = page.evaluate("window.__lcp")
        return float(lcp), script_bytes
    finally:
        context.close()


def run(base: str, repeat: int, pages: list[tuple[str, str]]) -> list[dict]:
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic"],
        )
        try:
            for name, path in pages:
                samples = [measure(browser, base + path) for _ in range(repeat)]
                lcps = [lcp for lcp, _bytes in samples]
                rows.append(
                    {
                        "page": name,
                        "path": path,
                        "lcp_median_ms": statistics.median(lcps),
                        "lcp_max_ms": max(lcps),
                        "js_kb": samples[-1][1] / 1024,
                    }
                )
        finally:
            browser.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    @contextmanager
    def given(url):
        yield url.rstrip("/")

    server = given(options.url) if options.url else production_server(options.port)
    with server as base:
        city, project = _first_project(base)
        pages = [
            ("home", "/ko/"),
            ("city", f"/ko/cities/{city}/"),
            ("project", f"/ko/projects/{project}/"),
        ]
        rows = run(base, options.repeat, pages)
    print(
        f"Fast 3G ({DOWNLOAD_BYTES_PER_S * 8 / 1e6:.2f} Mbit/s down, "
        f"{RTT_MS * LATENCY_FACTOR:.1f} ms latency), CPU x{CPU_SLOWDOWN}, "
        f"390x844, {options.repeat} cold loads each\n"
    )
    print("| page | path | LCP median (ms) | LCP worst (ms) | JS transferred (kB) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['page']} | `{row['path']}` | {row['lcp_median_ms']:.0f} | "
            f"{row['lcp_max_ms']:.0f} | {row['js_kb']:.1f} |"
        )
    slow = [row["page"] for row in rows if row["lcp_median_ms"] >= LCP_TARGET_MS]
    if slow:
        print(f"\nLCP at or above {LCP_TARGET_MS} ms: {', '.join(slow)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
