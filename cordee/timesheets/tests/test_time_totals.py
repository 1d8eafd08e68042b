from decimal import Decimal

import pytest
from django.urls import reverse

from cordee.missions.tests.factories import (
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
    TimeEntryFactory,
)
from cordee.timesheets.queries import mission_time_totals

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(mission, teammate):
    """Two deliverables, tasks with estimates, and time of two members in several activities."""
    mission.lead.full_name = "Léa Lead"
    mission.lead.save()
    teammate.full_name = "Tom Team"
    teammate.save()
    design = DeliverableFactory(mission=mission, title="Maquettes", position=0)
    build = DeliverableFactory(mission=mission, title="Intégration", position=1)
    TaskFactory(mission=mission, deliverable=design, assignee=teammate, estimate_hours=Decimal("10.5"))
    TaskFactory(mission=mission, deliverable=design, assignee=mission.lead, estimate_hours=Decimal("3.25"))
    TaskFactory(mission=mission, deliverable=build, assignee=teammate, estimate_hours=Decimal("8"))
    TaskFactory(mission=mission, deliverable=build, estimate_hours=None)  # not estimated
    TaskFactory(mission=mission, deliverable=None, estimate_hours=Decimal("2"))  # unassigned, no deliverable
    TimeEntryFactory(mission=mission, user=teammate, deliverable=design, hours=Decimal("7"))
    TimeEntryFactory(
        mission=mission, user=teammate, deliverable=design, hours=Decimal("5.25"), activity="meeting"
    )
    TimeEntryFactory(mission=mission, user=teammate, deliverable=build, hours=Decimal("3.5"))
    TimeEntryFactory(
        mission=mission,
        user=mission.lead,
        deliverable=None,
        hours=Decimal("1.75"),
        activity="project_management",
    )
    TimeEntryFactory(
        mission=mission, user=mission.lead, deliverable=design, hours=Decimal("0.25"), activity="non_billable"
    )
    TimeEntryFactory(
        mission=MissionFactory(collective=mission.collective), hours=Decimal("9")
    )  # another mission
    return design, build


def rows(totals_rows):
    return [
        (row.label, row.logged, row.estimated, row.logged_days, row.estimated_days) for row in totals_rows
    ]


def test_totals_per_member_deliverable_activity_and_mission(mission, scenario):
    totals = mission_time_totals(mission=mission)

    assert (totals.mission.logged, totals.mission.estimated) == (Decimal("17.75"), Decimal("23.75"))
    assert (totals.mission.logged_days, totals.mission.estimated_days) == (Decimal("2.54"), Decimal("3.39"))
    assert totals.mission.remaining == Decimal("6.00")
    assert totals.mission.over == 0
    assert rows(totals.members) == [
        ("Léa Lead", Decimal("2.00"), Decimal("3.25"), Decimal("0.29"), Decimal("0.46")),
        ("Tom Team", Decimal("15.75"), Decimal("18.50"), Decimal("2.25"), Decimal("2.64")),
    ]
    assert rows(totals.deliverables) == [
        ("Maquettes", Decimal("12.50"), Decimal("13.75"), Decimal("1.79"), Decimal("1.96")),
        ("Intégration", Decimal("3.50"), Decimal("8.00"), Decimal("0.50"), Decimal("1.14")),
        ("No deliverable", Decimal("1.75"), Decimal("2.00"), Decimal("0.25"), Decimal("0.29")),
    ]
    assert [(row.activity, row.logged, row.logged_days, row.share) for row in totals.activities] == [
        ("production", Decimal("10.50"), Decimal("1.50"), 59),
        ("project_management", Decimal("1.75"), Decimal("0.25"), 10),
        ("meeting", Decimal("5.25"), Decimal("0.75"), 30),
        ("non_billable", Decimal("0.25"), Decimal("0.04"), 1),
    ]
    every_amount = [totals.mission.logged, totals.mission.estimated] + [row.logged for row in totals.members]
    assert all(isinstance(amount, Decimal) for amount in every_amount)


def test_over_the_estimate_and_members_who_left_the_team(mission, teammate):
    deliverable = DeliverableFactory(mission=mission, title="Maquettes")
    TaskFactory(mission=mission, deliverable=deliverable, assignee=teammate, estimate_hours=Decimal("4"))
    TimeEntryFactory(mission=mission, user=teammate, deliverable=deliverable, hours=Decimal("6.5"))
    former = MissionMemberFactory(mission=mission)
    former.user.full_name = "Ancien Membre"
    former.user.save()
    TimeEntryFactory(mission=mission, user=former.user, hours=Decimal("2"))
    former.delete()

    totals = mission_time_totals(mission=mission)

    tom = next(row for row in totals.members if row.key == teammate.pk)
    assert (tom.logged, tom.estimated, tom.over, tom.percent) == (
        Decimal("6.50"),
        Decimal("4.00"),
        Decimal("2.50"),
        162,
    )
    assert [row.label for row in totals.members][-1] == "Ancien Membre"
    assert totals.deliverables[0].over == Decimal("2.50")
    assert totals.mission.logged == Decimal("8.50")


def test_days_follow_the_collective_working_day(mission, teammate):
    mission.collective.hours_per_day = Decimal("7.5")
    mission.collective.save()
    TimeEntryFactory(mission=mission, user=teammate, hours=Decimal("11.25"))
    mission.refresh_from_db()

    totals = mission_time_totals(mission=mission)

    assert totals.mission.logged_days == Decimal("1.50")


def test_the_page_shows_the_totals(admin_client, mission, scenario):
    content = admin_client.get(
        reverse("timesheets:mission", args=[mission.collective.slug, mission.pk])
    ).content.decode()

    assert '<span class="stat">17.75&nbsp;h</span> <span class="muted">2.54 d</span>' in content
    assert '<span class="stat">23.75&nbsp;h</span> <span class="muted">3.39 d</span>' in content
    assert "6 h left in the estimate" in content
    assert '<th scope="row">Tom Team</th>' in content
    assert '<td class="num">15.75&nbsp;h<br><span class="small muted">2.25 d</span></td>' in content
    assert '<th scope="row">No deliverable</th>' in content
    assert "<span>Meeting</span><span>5.25&nbsp;h · 0.75 d · 30%</span>" in content
