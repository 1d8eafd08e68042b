"""End-to-end tests: real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright for Python."""

import os
import re
import warnings
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# The pages under test are French, so is the browser's own text: the file picker's "Choisir un fichier", a date
# field's "jj/mm/aaaa". Chromium on Linux reads that language from LANGUAGE (neither `--lang` nor the context's
# locale changes it), and finds its French strings in Debian's chromium-l10n. A test of English pages would
# launch its own browser with LANGUAGE "en".
BROWSER_LANGUAGE = "fr"
CHROMIUM_LOCALES = Path("/usr/lib/chromium/locales")
SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _synchronous_orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread; the tests' ORM calls stay synchronous."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def browser():
    if not (CHROMIUM_LOCALES / f"{BROWSER_LANGUAGE}.pak").exists():
        warnings.warn(
            "Chromium has no French strings (install chromium-l10n): file pickers and date fields will be in "
            "English in the screenshots.",
            stacklevel=1,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            env={**os.environ, "LANGUAGE": BROWSER_LANGUAGE},
            headless=True,
        )
        yield browser
        browser.close()


def new_page(browser, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport, locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser):
    page = new_page(browser, PHONE)
    yield page
    page.context.close()


class Journey:
    """Saves a numbered screenshot of each step and checks each page with axe-core."""

    def __init__(self, name: str):
        self.folder = SCREENSHOTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.step = 0
        self.axe = Axe()
        self.pages_checked = []

    def snap(self, page, name: str, accessibility: bool = True) -> Path:
        self.step += 1
        path = self.folder / f"{self.step:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        if accessibility:
            self.check_accessibility(page, name)
        return path

    def check_accessibility(self, page, name: str) -> None:
        results = self.axe.run(page)
        serious = [
            f"{violation['id']} ({violation['impact']}): "
            + "; ".join(node["target"][0] for node in violation["nodes"][:3])
            for violation in results.response["violations"]
            if violation["impact"] in {"serious", "critical"}
        ]
        self.pages_checked.append(name)
        assert serious == [], f"Accessibility violations on '{name}': {serious}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def journey(request, browser):
    journey = Journey(request.node.name)
    yield journey
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        # Keep what each open page showed when the test failed.
        for number, context in enumerate(browser.contexts):
            for index, open_page in enumerate(context.pages):
                open_page.screenshot(
                    path=str(journey.folder / f"failure-{number}-{index}.png"), full_page=True
                )
