"""Journey B in real Chromium: a won opportunity becomes a mission, the work is shared in the three
assignment modes, time is logged, and a deliverable at risk leads to a delay notice the client receives."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from cordee.core.business_days import add_business_days, announced_date_for
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory, OpportunityFactory
from cordee.missions.models import Deliverable, Mission, Task
from cordee.missions.services.health import deliverables_health_refresh
from cordee.timesheets.models import TimeEntry

from .conftest import PHONE, new_page

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def log_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", email)
    page.fill("[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))


def set_assignment_mode(page, base, mission, mode):
    page.goto(f"{base}/collectives/{mission.collective.slug}/missions/{mission.pk}/edit/")
    page.check(f"[name=assignment_mode][value={mode}]")
    page.click("main form:has([name=assignment_mode]) [type=submit]")
    page.wait_for_selector(".message")


def add_task(page, base, mission, title, hours, deliverable=None, role=None):
    page.goto(f"{base}/collectives/{mission.collective.slug}/missions/{mission.pk}/board/tasks/new/")
    page.fill("[name=title]", title)
    page.fill("[name=estimate_hours]", hours)
    if deliverable:
        page.select_option("[name=deliverable]", str(deliverable.pk))
    if role:
        page.select_option("[name=required_role]", role)
    page.click("main form:has([name=title]) [type=submit]:not([name=next])")
    page.wait_for_url(re.compile(r"/board/"))


def test_a_won_opportunity_becomes_a_mission_delivered_with_margin(live_server, browser, page, journey):
    # Real time: the browser's clock cannot travel, and session cookies must not look expired to it.
    base = live_server.url
    today = timezone.localdate()
    lead = AdminMembershipFactory(
        user__email="claire@atelier.fr",
        user__full_name="Claire Martin",
        title="Cheffe de projet",
        collective__name="Atelier Rive Gauche",
        collective__slug="atelier",
    )
    collective = lead.collective
    designer = MembershipFactory(
        collective=collective,
        user__email="hugo@atelier.fr",
        user__full_name="Hugo Petit",
        title="design",
        day_rate=Decimal("500"),
    )
    developer = MembershipFactory(
        collective=collective,
        user__email="nora@atelier.fr",
        user__full_name="Nora Diallo",
        title="back-end",
    )
    opportunity = OpportunityFactory(
        collective=collective,
        stage="won",
        company="Maison Lenoir",
        contact_name="Paul Lenoir",
        contact_email="paul@maison-lenoir.fr",
        need="Refonte de la boutique en ligne avant les soldes.",
    )

    # 1. The won opportunity becomes a mission, with the lead and two team members.
    log_in(page, base, "claire@atelier.fr")
    page.goto(f"{base}/collectives/atelier/opportunities/{opportunity.pk}/")
    page.click(f"main a[href*='/missions/new/?opportunity={opportunity.pk}']")
    page.fill("[name=title]", "Refonte de la boutique Maison Lenoir")
    page.fill("[name=start_date]", today.isoformat())
    for name in ("Hugo Petit", "Nora Diallo"):
        page.locator(".team-row", has_text=name).locator("input[type=checkbox]").check()
    journey.snap(page, "mission-create")
    page.click("main form:has([name=title]) [type=submit]")
    page.wait_for_url(re.compile(r"/missions/\d+/$"))
    mission = Mission.objects.get(opportunity=opportunity)
    assert mission.client.name == "Maison Lenoir"
    assert mission.client.contacts.get().email == "paul@maison-lenoir.fr"
    assert mission.lead == lead.user
    assert set(mission.team.values_list("user__email", flat=True)) == {
        "claire@atelier.fr",
        "hugo@atelier.fr",
        "nora@atelier.fr",
    }
    page.click("main form[action$='/activate/'] [type=submit]")
    page.wait_for_selector(".message")

    # 2. Two deliverables: the announced date is the internal date plus the margin.
    slug_mission = f"{base}/collectives/atelier/missions/{mission.pk}"
    mockups_internal, shop_internal = add_business_days(today, 3), add_business_days(today, 19)
    for title, internal in (("Maquettes", mockups_internal), ("Boutique en ligne", shop_internal)):
        page.goto(slug_mission + "/deliverables/new/")
        page.fill("[name=title]", title)
        page.fill("[name=internal_date]", internal.isoformat())
        page.click("main form:has([name=title]) [type=submit]")
        page.wait_for_selector(".message")
    mockups, shop = Deliverable.objects.filter(mission=mission).order_by("internal_date")
    # The margin rules are checked by hand in test_business_days; here they reach the page.
    assert mockups.announced_date == add_business_days(mockups_internal, 2)  # the minimum margin
    assert (
        shop.announced_date == announced_date_for(today, shop_internal) == add_business_days(shop_internal, 4)
    )
    journey.snap(page, "deliverables")

    # 3. Tasks, first assigned by the lead (the default mode).
    add_task(page, base, mission, "Parcours d'achat", "6", deliverable=mockups)
    add_task(page, base, mission, "Fiches produit", "5", deliverable=mockups)

    # 4. Self-service: a member takes a task himself.
    set_assignment_mode(page, base, mission, "self_service")
    member = new_page(browser, PHONE)
    log_in(member, base, "hugo@atelier.fr")
    member.goto(slug_mission + "/board/")
    card = member.locator(".task-card", has_text="Parcours d'achat")
    card.locator("button[formaction$='/take/']").click()
    member.wait_for_selector('.task-card:has-text("Parcours d\'achat") >> text=Hugo Petit')
    assert Task.objects.get(title="Parcours d'achat").assignee == designer.user
    journey.snap(member, "board-member-took-a-task-phone")

    # 5. By role: a task needing "back-end" goes to the only member holding it.
    set_assignment_mode(page, base, mission, "by_role")
    add_task(page, base, mission, "API du panier", "12", deliverable=shop, role="back-end")
    assert Task.objects.get(title="API du panier").assignee == developer.user

    # 6. The member logs time on his task.
    member.goto(slug_mission + "/time/")
    member.fill("[name=duration]", "3,5")
    member.select_option("[name=deliverable]", str(mockups.pk))
    member.fill("[name=note]", "Premières maquettes du tunnel")
    member.click("main form:has([name=duration]) [type=submit]")
    member.wait_for_selector(".message")
    assert TimeEntry.objects.get(mission=mission).hours == Decimal("3.5")
    journey.snap(member, "time-phone")
    member.context.close()

    # 7. The mock-ups now carry more work than the team can do before their internal date (about 84 h of
    # capacity for 100 h of work), but not more than before the announced date: the deliverable turns at risk.
    add_task(page, base, mission, "Design system", "89", deliverable=mockups)
    deliverables_health_refresh()
    mockups.refresh_from_db()
    assert mockups.health in {Deliverable.Health.AT_RISK, Deliverable.Health.LATE}
    assert OutboundEmail.objects.filter(
        to_email="claire@atelier.fr", idempotency_key__startswith=f"deliverable:{mockups.pk}:health"
    ).exists()
    page.goto(slug_mission + "/board/")
    journey.snap(page, "board")
    page.goto(slug_mission + "/")
    journey.snap(page, "mission-page")

    # 8. The lead sends a delay notice; the client receives it.
    page.goto(f"{slug_mission}/deliverables/{mockups.pk}/")
    page.click("main a[href$='/delay-notice/']")
    new_date = add_business_days(mockups.announced_date, 5)
    page.fill("[name=new_date]", new_date.isoformat())
    page.fill("[name=reason]", "Le design system demande une semaine de plus pour rester cohérent.")
    page.click("main [type=submit][value=preview]")
    journey.snap(page, "delay-notice-preview")
    page.click("main [type=submit][value=send]")
    page.wait_for_selector(".message")
    mockups.refresh_from_db()
    assert mockups.announced_date == new_date
    notice = mockups.delay_notices.get()
    assert (notice.business_days_notice, notice.is_late) == (5, False)  # the mission's minimum notice is 5
    email = OutboundEmail.objects.get(
        to_email="paul@maison-lenoir.fr", idempotency_key__startswith="delay_notice:"
    )
    assert "design system" in email.body_text.lower()
    journey.snap(page, "deliverable-after-delay-notice")
