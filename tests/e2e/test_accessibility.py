"""Every public page on a phone and on a laptop, in Korean and in English: no
sideways scrolling, no serious or critical WCAG 2.2 AA violation found by axe-core,
no console error, and no text of the other language.

One browser context per viewport and language visits every page in turn; the
failures are collected and reported together, one line each.
"""

import contextlib
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from cities.models import Municipality
from cities.services import demo_municipalities_load
from renewal.demo.bids import CITY_CODE, demo_bid_load
from renewal.demo.owners import demo_owners_load
from renewal.demo.projects import demo_projects_load
from renewal.demo.spaces import demo_spaces_generate
from renewal.models import (
    BusinessImprovementDistrict,
    OrganizationKind,
    RenewalProject,
    VacantSpace,
)
from renewal.services.photos import space_photo_create
from renewal.services.surveys import (
    survey_assignment_create,
    survey_round_create,
    survey_round_spaces_add,
)
from tests.e2e.helpers import submit
from tests.factories import PASSWORD, UserFactory
from tests.photos import jpeg_bytes
from tests.photos import upload as photo_upload

AXE_SOURCE = (
    Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
).read_text()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS = {"phone": (390, 844), "laptop": (1366, 900)}
LANGUAGES = ("ko", "en")


@dataclass(frozen=True)
class PublicPage:
    name: str
    path: Callable[[dict], str]  # from the demo objects to a path after /ko or /en
    signed_in: bool = False
    # Pages that are not translated as a whole (the OpenAPI explorer's own UI).
    check_language: bool = True
    prefixed: bool = True
    # axe rules not asked of a page, each with its reason at the page's line.
    axe_skipped: tuple[str, ...] = ()


# The one list of pages the test visits: a new public page adds a line here.
PUBLIC_PAGES = [
    PublicPage("home", lambda d: "/"),
    PublicPage("national map", lambda d: "/map/"),
    PublicPage("dashboard", lambda d: "/dashboard/"),
    PublicPage("city", lambda d: f"/cities/{d['city'].code}/"),
    PublicPage("spaces map", lambda d: f"/cities/{d['city'].code}/spaces/"),
    PublicPage("spaces list", lambda d: f"/cities/{d['city'].code}/spaces/list/"),
    PublicPage("space", lambda d: f"/spaces/{d['space'].pk}/"),
    PublicPage("projects", lambda d: f"/cities/{d['city'].code}/projects/"),
    PublicPage("project", lambda d: f"/projects/{d['project'].pk}/"),
    PublicPage("BID list", lambda d: f"/cities/{d['city'].code}/bids/"),
    PublicPage("BID", lambda d: f"/bids/{d['bid'].pk}/"),
    PublicPage(
        "participation",
        lambda d: f"/organizations/{d['project'].lead_organization_id}/participation/",
    ),
    PublicPage("search results", lambda d: "/search/?q=%EC%98%81%EC%A3%BC"),
    PublicPage("organisations", lambda d: "/organizations/"),
    PublicPage(
        "organisation", lambda d: f"/organizations/{d['project'].lead_organization_id}/"
    ),
    PublicPage("sign-in", lambda d: "/accounts/login/"),
    PublicPage("sign-up", lambda d: "/accounts/signup/"),
    # Swagger UI nests its links in its expandable rows and sizes them itself: the
    # vendored explorer's markup, not the platform's.
    PublicPage(
        "API docs",
        lambda d: "/api/v1/docs/",
        check_language=False,
        prefixed=False,
        axe_skipped=("nested-interactive", "target-size"),
    ),
    PublicPage("space bank", lambda d: "/listings/"),
    PublicPage(
        "space bank, filtered",
        lambda d: f"/listings/?city={d['city'].code}&availability=free_use",
    ),
    PublicPage("my page", lambda d: "/me/", signed_in=True),
    PublicPage("my spaces", lambda d: "/me/spaces/", signed_in=True),
    PublicPage(
        "claim a space",
        lambda d: f"/cities/{d['city'].code}/claim/?q=%EC%98%88%EC%8B%9C",
        signed_in=True,
    ),
    PublicPage(
        "register a building",
        lambda d: f"/cities/{d['city'].code}/claim/new/",
        signed_in=True,
    ),
    PublicPage(
        "proposal from the space bank",
        lambda d: f"/cities/{d['city'].code}/projects/new/?space={d['listed'].pk}",
        signed_in=True,
    ),
    PublicPage("notifications", lambda d: "/notifications/", signed_in=True),
    PublicPage(
        "proposal form",
        lambda d: f"/cities/{d['city'].code}/projects/new/",
        signed_in=True,
    ),
    PublicPage("project, signed in", lambda d: f"/projects/{d['project'].pk}/", True),
    PublicPage("field survey", lambda d: "/survey/", signed_in=True),
    PublicPage(
        "survey round", lambda d: f"/survey/{d['survey_round'].pk}/", signed_in=True
    ),
]

# Latin words a Korean page may show: names of standards, units and the like.
LATIN_ON_KOREAN_PAGES = {
    "API",
    "KRDS",
    "BID",
    "OpenStreetMap",
    "Leaflet",
    "GeoJSON",
    "CSV",
    "OGC",
    "m²",
    "km",
    "m",
    "ha",
    "resident",
    "JSON",
    "KPI",
    "KRW",
    "EPSG",
    "GeoPackage",
    # The census boundaries' source, as its licence asks it to be named.
    "SGIS",
    # File formats and sizes, as the upload fields name them.
    "PDF",
    "JPEG",
    "PNG",
    "WebP",
    "MB",
    # Keys, named as printed on the keyboard.
    "Enter",
    "Shift",
}

# Text nodes visible on the page, outside elements marked as another language;
# form controls' option lists are not text the reader sees until opened.
VISIBLE_TEXT = """() => {
  const lang = document.documentElement.lang;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const element = node.parentElement;
    if (!node.textContent.trim() || !element) continue;
    if (element.closest("script, style, noscript, select, [hidden]")) continue;
    const marked = element.closest("[lang]");
    if (marked && marked.lang !== lang) continue;
    if (!element.checkVisibility()) continue;
    texts.push(node.textContent.trim());
  }
  return texts.join("\\n");
}"""

AXE_RUN = """async ([tags, skipped]) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .filter((v) => !skipped.includes(v.id))
    .map((v) => `${v.id} (${v.impact}): ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
}"""

# The elements that stick out past the right edge, to say where the scroll comes from.
OVERFLOWING = """() => {
  const width = window.innerWidth;
  const names = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.right <= width + 1 || !box.width) continue;
    if (element.parentElement && element.parentElement.getBoundingClientRect().right > width + 1) continue;
    names.push(element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
      (element.className && typeof element.className === "string" ? "." + element.className.trim().split(/\\s+/).join(".") : "") +
      ` (${Math.round(box.right)} px)`);
  }
  return names.slice(0, 4);
}"""

HANGUL = re.compile(r"[\uac00-\ud7a3]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z²]*")


@pytest.fixture
def demo_objects(db) -> dict:
    demo_municipalities_load()
    city = Municipality.objects.get(code=CITY_CODE)
    demo_spaces_generate(municipalities=[city])
    demo_projects_load(municipalities=[city])
    demo_bid_load()
    demo_owners_load()
    resident = UserFactory(username="resident")
    space = VacantSpace.objects.filter(municipality=city).first()
    # A published photo: the space page shows its thumbnail.
    space_photo_create(
        actor=None,
        space=space,
        upload=photo_upload(jpeg_bytes()),
        source="staff",
        publish=True,
    )
    # A survey round that `resident` surveys: the field survey's phone page.
    survey_round = survey_round_create(
        actor=None,
        municipality=city,
        data={
            "name": "2026 빈집 실태조사",
            "grading_scheme": "national-2023",
            "starts_on": datetime.date(2026, 3, 1),
            "ends_on": datetime.date(2026, 12, 31),
        },
    )
    survey_round_spaces_add(
        survey_round=survey_round,
        space_ids=VacantSpace.objects.filter(municipality=city).values_list(
            "pk", flat=True
        )[:20],
    )
    survey_assignment_create(actor=None, survey_round=survey_round, surveyor=resident)
    return {
        "survey_round": survey_round,
        "city": city,
        "space": space,
        "project": RenewalProject.objects.filter(
            municipality=city, lead_organization__isnull=False
        ).first(),
        "bid": BusinessImprovementDistrict.objects.get(municipality=city),
        "resident": resident,
        "listed": VacantSpace.objects.filter(
            municipality=city, owner__user__username="demo_owner"
        ).first(),
    }


def _words_of_the_data() -> set[str]:
    """Words people and the demo wrote (names, titles, descriptions, addresses,
    comments): shown as written, in whatever language they were written in."""
    words = set()
    for model in apps.get_models():
        if model._meta.app_label not in ("cities", "renewal"):
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
        ]
        if not fields:
            continue
        for row in model.objects.values_list(*fields).iterator():
            for value in row:
                if value:
                    words.update(HANGUL.findall(value))
                    words.update(LATIN_WORD.findall(value))
    return words


def _korean_legal_terms() -> set[str]:
    """The Korean names that the English labels of organisation kinds carry in
    brackets ("Village enterprise (마을기업)"): legal categories, kept as proper names."""
    with translation.override("en"):
        return {
            word
            for _value, label in OrganizationKind.choices
            for word in HANGUL.findall(str(label))
        }


def _language_problems(language: str, text: str, allowed: set[str]) -> list[str]:
    if language == "en":
        return sorted(set(HANGUL.findall(text)) - allowed - _korean_legal_terms())[:8]
    words = set(LATIN_WORD.findall(text))
    return sorted(words - LATIN_ON_KOREAN_PAGES - allowed)[:8]


def _page_problems(
    page, url: str, language: str, public_page, errors, allowed: set[str]
) -> list[str]:
    errors.clear()
    response = page.goto(url)
    problems = []
    if response is None or response.status != 200:
        return [f"status {response and response.status}"]
    # Maps draw after their data arrives; a page that keeps polling (the API
    # explorer) is checked as it stands.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_load_state("networkidle", timeout=5000)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        problems.append(
            f"scrolls sideways: {width[0]} px wide in {width[1]} px, from "
            + ", ".join(page.evaluate(OVERFLOWING))
        )
    problems += [
        f"axe {v}"
        for v in page.evaluate(AXE_RUN, [AXE_TAGS, list(public_page.axe_skipped)])
    ]
    if public_page.check_language:
        foreign = _language_problems(language, page.evaluate(VISIBLE_TEXT), allowed)
        if foreign:
            problems.append(f"other language: {', '.join(foreign)}")
    problems += [f"console: {error}" for error in errors]
    return problems


@pytest.mark.browser
def test_every_public_page_is_accessible_on_phone_and_laptop_in_both_languages(
    browser, live_server, demo_objects
):
    allowed = _words_of_the_data()
    chromium = browser.browser
    failures = []
    for viewport_name, (width, height) in VIEWPORTS.items():
        for language in LANGUAGES:
            context = chromium.new_context(
                viewport={"width": width, "height": height},
                locale="ko-KR" if language == "ko" else "en-US",
            )
            try:
                # Injected by the browser into every document: the pages' own
                # Content-Security-Policy would refuse it as a script tag.
                context.add_init_script(script=AXE_SOURCE)
                page = context.new_page()
                errors: list[str] = []
                page.on(
                    "console",
                    lambda message, errors=errors: (
                        message.type == "error" and errors.append(message.text[:160])
                    ),
                )
                page.on(
                    "pageerror", lambda error, errors=errors: errors.append(str(error))
                )
                signed_in = False
                for public_page in sorted(PUBLIC_PAGES, key=lambda p: p.signed_in):
                    if public_page.signed_in and not signed_in:
                        page.goto(f"{live_server.url}/{language}/accounts/login/")
                        page.fill("#id_username", "resident")
                        page.fill("#id_password", PASSWORD)
                        submit(page)
                        page.wait_for_load_state("load")
                        signed_in = True
                    prefix = f"/{language}" if public_page.prefixed else ""
                    url = live_server.url + prefix + public_page.path(demo_objects)
                    for problem in _page_problems(
                        page, url, language, public_page, errors, allowed
                    ):
                        failures.append(
                            f"{public_page.name} [{viewport_name}, {language}]: "
                            f"{problem}"
                        )
            finally:
                context.close()

    assert not failures, "\n" + "\n".join(failures)
