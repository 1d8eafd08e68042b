"""The seed's call to action, end to end in real Chromium: sign up, create the collective, invite a
member, publish the page, receive a first opportunity."""

import re
import time

import pytest

from cordee.collectives.models import Collective, Membership
from cordee.core.models import OutboundEmail
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
    # A new account has nothing to show yet: the thread goes straight to the collective's creation.
    page.wait_for_url("**/collectives/new/")
    assert page.inner_text(".setup-steps [aria-current=step]").endswith("Créez votre collectif")

    # 3. Create the collective.
    page.fill("[name=name]", "Les Cartographes")
    page.fill("[name=tagline]", "Données, cartes et sites pour les territoires")
    journey.snap(page, "create-collective")
    page.click("main form [type=submit]")
    # 4. The next step follows: invite a member.
    page.wait_for_url("**/collectives/les-cartographes/invitations/")
    collective = Collective.objects.get(slug="les-cartographes")
    assert Membership.objects.get(collective=collective).user.email == FOUNDER
    assert page.inner_text(".setup-steps [aria-current=step]").endswith("Invitez vos membres")
    page.fill("[name=emails]", f"Hugo Petit <{MEMBER}>")
    journey.snap(page, "invite")
    phone_view = new_page(browser, PHONE)
    phone_view.context.add_cookies(page.context.cookies())
    phone_view.goto(page.url)
    journey.snap(phone_view, "invite-phone")
    page.click("main form:has([name=emails]) [type=submit]")
    # After the invitations, the thread goes on with the page, and says so.
    page.wait_for_url("**/collectives/les-cartographes/page/")
    assert "Étape suivante" in page.inner_text(".messages")
    assert page.inner_text(".setup-steps [aria-current=step]").endswith("Complétez votre page")
    journey.snap(page, "invited-then-page")
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
    assert page.locator(".setup-steps").count() == 0  # the thread ends with the published page
    phone_view.goto(page.url)
    journey.snap(phone_view, "published-phone")
    phone_view.context.close()
    screens_to_publish = len(screens)

    # 7. A visitor proposes a project from the public page, on a phone.
    visitor = new_page(browser, PHONE)
    visitor.goto(base + "/c/les-cartographes/")
    # A prospect sees the collective: no sign-in bar of Cordée, no internal roles.
    assert visitor.locator(".topbar").count() == 0
    assert visitor.locator("#team .badge").count() == 0
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
    acknowledgement = OutboundEmail.objects.get(to_email="ines.moreau@ville-exemple.fr")
    assert acknowledgement.subject == "Les Cartographes a bien reçu votre projet"
    assert acknowledgement.language == "fr"

    # 8. The opportunity appears in the founder's pipeline, and the founder was emailed.
    page.goto(base + "/collectives/les-cartographes/opportunities/")
    assert page.locator(".board__card", has_text="Ville d'Exemple").count() == 1
    journey.snap(page, "pipeline")
    assert link_in_email(FOUNDER, f"/opportunities/{opportunity.pk}/")

    elapsed = time.monotonic() - started
    paths = [re.sub(r"^https?://[^/]+", "", url) for url in screens[:screens_to_publish]]
    # A screen is what the founder sees from the sign-up form on; a form posted back to its own page
    # (a saved page, a validation error) stays the same screen.
    from_sign_up = paths[paths.index("/accounts/signup/") :]
    distinct = [
        path for index, path in enumerate(from_sign_up) if index == 0 or path != from_sign_up[index - 1]
    ]
    print(f"\nOnboarding: {elapsed:.1f} s; {len(distinct)} screens from the sign-up to a published page:")
    print("\n".join(distinct))
    assert len(distinct) <= 8
    assert len(journey.pages_checked) >= 15
