import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_page_renders_in_french_with_its_stylesheet(live_server, page, phone, journey):
    page.goto(live_server.url + "/")

    assert page.locator("h1").inner_text() != ""
    assert page.locator("html").get_attribute("lang") == "fr"
    background = page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor")
    assert background == "rgb(23, 66, 79)"
    journey.snap(page, "home")

    phone.goto(live_server.url + "/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    journey.snap(phone, "home-phone")
