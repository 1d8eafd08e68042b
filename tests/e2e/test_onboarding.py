"""The seed's call to action, end to end in real Chromium: sign up, create the collective, invite a
member, publish the page, receive a first opportunity."""

import re
import time

import pytest

from cordee.collectives.models import Collective, Membership
from cordee.opportunities.models import Opportunity

from .conftest import PHONE, new_page
from .helpers import link_in_email, on_live_server

pytestmark = pytest.mark.django_db(transaction=True)

FOUNDER = "louise.bernard@example.fr"
MEMBER = "hugo.petit@example.fr"
PASSWORD = "Un-mot-de-passe-solide-2026"


def test_onboarding_from_sign_up_to_a_first_opportunity(live_server, browser, page, journey):
    started = time.monotonic()
    base = live_server.url
    screens = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and screens.append(frame.url))

    # 1. Sign up from the home page.
    page.goto(base + "/")
    journey.snap(page, "home")
    page.click("main a[href='/accounts/signup/']")
    page.fill("[name=email]", FOUNDER)
    page.fill("[name=full_name]", "Louise Bernard")
    page.fill("[name=password1]", PASSWORD)
    journey.snap(page, "sign-up")
    page.click("main form [type=submit]")
    page.wait_for_url("**/accounts/confirm-email/")
    journey.snap(page, "verification-sent")

    # 2. Verify the email address with the link from the outbox.
    page.goto(on_live_server(link_in_email(FOUNDER, "/accounts/confirm-email/"), base))
    journey.snap(page, "confirm-email")
    page.click("main form [type=submit]")
    page.wait_for_url("**/dashboard/")
    journey.snap(page, "dashboard-new-user")

    # 3. Create the collective.
    page.click("main a[href='/collectives/new/']")
    page.fill("[name=name]", "Les Cartographes")
    page.fill("[name=tagline]", "Données, cartes et sites pour les territoires")
    journey.snap(page, "create-collective")
    page.click("main form [type=submit]")
    page.wait_for_url("**/collectives/les-cartographes/")
    collective = Collective.objects.get(slug="les-cartographes")
    assert Membership.objects.get(collective=collective).user.email == FOUNDER
    journey.snap(page, "collective-dashboard")

    # 4. Invite a member.
    page.goto(base + "/collectives/les-cartographes/invitations/")
    page.fill("[name=emails]", f"Hugo Petit <{MEMBER}>")
    journey.snap(page, "invite")
    page.click("main form:has([name=emails]) [type=submit]")
    page.wait_for_selector(".message")
    journey.snap(page, "invited")
    invitation_link = on_live_server(link_in_email(MEMBER, "/invitations/"), base)

    # 5. The member accepts in their own browser: sign-up through the link lands in the collective.
    member_page = new_page(browser)
    member_page.goto(invitation_link)
    journey.snap(member_page, "invitation-page")
    member_page.click("main a[href*='/accounts/signup/']")
    assert member_page.input_value("[name=email]") == MEMBER
    member_page.fill("[name=full_name]", "Hugo Petit")
    member_page.fill("[name=password1]", PASSWORD)
    member_page.click("main form [type=submit]")
    member_page.wait_for_url("**/collectives/les-cartographes/")
    journey.snap(member_page, "member-lands-in-collective")
    assert Membership.objects.filter(collective=collective, user__email=MEMBER, role="member").exists()
    member_page.context.close()

    # 6. Complete the page: tagline, description, expertises, logo, one reference; then publish.
    page.goto(base + "/collectives/les-cartographes/page/")
    page.fill("[name=description]", "Nous sommes **trois indépendants** qui aident les collectivités.")
    page.fill("[name=expertises]", "Cartographie, Data, Sites web")
    page.set_input_files("[name=logo]", "tests/e2e/fixtures/logo.png")
    journey.snap(page, "page-editor")
    page.click("main form:has([name=description]) [type=submit]")
    page.wait_for_selector(".message")
    page.click("main a[href$='/page/references/new/']")
    page.fill("[name=title]", "Atlas des mobilités")
    page.fill("[name=client_name]", "Région Occitanie")
    page.fill("[name=year]", "2025")
    journey.snap(page, "reference")
    page.click("main form [type=submit]")
    page.wait_for_url("**/collectives/les-cartographes/page/**")
    page.click("main form[action$='/page/publish/'] [type=submit]")
    page.wait_for_selector(".message")
    journey.snap(page, "published")
    collective.refresh_from_db()
    assert collective.is_published and collective.logo
    screens_to_publish = len(screens)

    # 7. A visitor proposes a project from the public page, on a phone.
    visitor = new_page(browser, PHONE)
    visitor.goto(base + "/c/les-cartographes/")
    journey.snap(visitor, "public-page-phone")
    visitor.fill("[name=contact_name]", "Inès Moreau")
    visitor.fill("[name=contact_email]", "ines.moreau@ville-exemple.fr")
    visitor.fill("[name=company]", "Ville d'Exemple")
    visitor.fill("[name=need]", "Une carte interactive des pistes cyclables, en ligne avant l'été.")
    visitor.select_option("[name=budget]", "5k-15k")
    journey.snap(visitor, "proposal-form-phone")
    visitor.click("form:has([name=need]) [type=submit]")
    visitor.wait_for_url(re.compile(r"/c/les-cartographes/merci/"))
    journey.snap(visitor, "proposal-thanks-phone")
    visitor.context.close()
    opportunity = Opportunity.objects.get(collective=collective)
    assert opportunity.company == "Ville d'Exemple" and opportunity.stage == "new"

    # 8. The opportunity appears in the founder's pipeline, and the founder was emailed.
    page.goto(base + "/collectives/les-cartographes/opportunities/")
    assert page.locator(".board__card", has_text="Ville d'Exemple").count() == 1
    journey.snap(page, "pipeline")
    assert link_in_email(FOUNDER, f"/opportunities/{opportunity.pk}/")

    elapsed = time.monotonic() - started
    print(
        f"\nOnboarding: {elapsed:.1f} s; {screens_to_publish} page loads from the home page to a published page:"
    )
    print("\n".join(re.sub(r"^https?://[^/]+", "", url) for url in screens[:screens_to_publish]))
    assert len(journey.pages_checked) >= 15
