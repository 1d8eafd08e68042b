"""Phone navigation in real Chromium at 390 px: the menu button, tab bars that keep the current tab in view,
and the weekly timesheet one day at a time, today first."""

import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone, translation

from cordee.workspace.tests.demo import active_mission

from .conftest import new_page

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, base):
    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", settings.DEMO_EMAIL)
    page.fill("[name=password]", settings.DEMO_PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))


def visible_inside(page, item_selector, bar_selector) -> bool:
    return page.eval_on_selector(
        item_selector,
        f"""item => {{
            const bar = item.closest("{bar_selector}").getBoundingClientRect();
            const box = item.getBoundingClientRect();
            return box.left >= bar.left - 1 && box.right <= bar.right + 1;
        }}""",
    )


def test_the_phone_menu_tab_bars_and_timesheet_day_view(live_server, browser, phone, journey):
    with translation.override(settings.LANGUAGE_CODE):
        call_command("seed_demo", stdout=StringIO())
    mission = active_mission()
    base = live_server.url
    log_in(phone, base)

    # The header is one line: the brand and the menu button; the menu opens below it.
    phone.goto(f"{base}/collectives/{settings.DEMO_SLUG}/")
    header = phone.locator(".topbar").bounding_box()
    assert header["height"] <= 64
    assert not phone.locator("#site-menu").is_visible()
    journey.snap(phone, "phone-dashboard")
    phone.click("[data-menu-toggle]")
    assert phone.get_attribute("[data-menu-toggle]", "aria-expanded") == "true"
    assert phone.locator("#site-menu a", has_text="Mon travail").is_visible()
    journey.snap(phone, "phone-menu-open")
    phone.keyboard.press("Escape")
    assert not phone.locator("#site-menu").is_visible()
    phone.click("[data-menu-toggle]")
    phone.click("#site-menu a:has-text('Mon travail')")
    phone.wait_for_url(re.compile(r"/my-work/$"))
    assert phone.get_attribute("#site-menu a[aria-current]", "href") == "/my-work/"

    # Tab bars: the current tab is scrolled into view, even the last one.
    phone.goto(f"{base}/collectives/{settings.DEMO_SLUG}/missions/{mission.pk}/history/")
    assert visible_inside(phone, ".tabs [aria-current]", ".tabs")
    assert visible_inside(phone, ".subnav [aria-current]", ".subnav__inner")
    journey.snap(phone, "phone-mission-history-tabs")
    phone.goto(f"{base}/collectives/{settings.DEMO_SLUG}/page/")
    assert phone.inner_text(".subnav [aria-current]") == "Page publique"
    assert visible_inside(phone, ".subnav [aria-current]", ".subnav__inner")

    # The timesheet shows one day, today first; the picker shows another without reloading.
    phone.goto(base + "/time/")
    today = timezone.localdate().weekday()
    shown = phone.locator(".week-grid thead th[data-day]:visible")
    assert shown.count() == 1
    assert shown.first.get_attribute("data-day") == str(today)
    assert shown.first.get_attribute("aria-current") == "date"
    journey.snap(phone, "phone-timesheet-today")
    other = (today + 1) % 7
    phone.click(f"[data-day-pick='{other}']")
    assert phone.locator(".week-grid thead th[data-day]:visible").first.get_attribute("data-day") == str(
        other
    )
    assert (
        phone.locator(".week-grid tbody td[data-day]:visible").count()
        == phone.locator(".week-grid tbody tr").count()
    )

    # On a desktop the menu is the usual bar and the whole week shows.
    desktop = new_page(browser)
    log_in(desktop, base)
    desktop.goto(base + "/time/")
    assert not desktop.locator("[data-menu-toggle]").is_visible()
    assert desktop.locator("#site-menu").is_visible()
    assert desktop.locator(".week-grid thead th[data-day]:visible").count() == 7
    journey.snap(desktop, "desktop-timesheet")
    desktop.context.close()
