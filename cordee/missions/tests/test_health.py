"""Deadline health: the rule on crafted numbers, then the loader on crafted missions."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from cordee.core.deferred_text import format_hours
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.models import Deliverable, Task
from cordee.missions.services.health import (
    business_days_from_today,
    deliverable_health,
    deliverables_health,
    deliverables_health_inputs,
)
from cordee.missions.tests.factories import (
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
)

ON_TRACK, AT_RISK, LATE = "on_track", "at_risk", "late"
# Monday 2 March 2026; internal date Friday 13 March, announced Thursday 19 March.
MONDAY = date(2026, 3, 2)
INTERNAL = date(2026, 3, 13)
ANNOUNCED = date(2026, 3, 19)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def deliverable(status="planned", internal=INTERNAL, announced=ANNOUNCED):
    return Deliverable(title="Maquettes", internal_date=internal, announced_date=announced, status=status)


def health(item=None, *, today=MONDAY, open_hours="0", internal="0", announced="0", unestimated=0):
    return deliverable_health(
        item or deliverable(),
        today=today,
        open_hours=Decimal(open_hours),
        capacity_until_internal=Decimal(internal),
        capacity_until_announced=Decimal(announced),
        unestimated_tasks=unestimated,
    )


class TestRule:
    def test_enough_capacity_before_the_internal_date_is_on_track(self):
        assert health(open_hours="12", internal="70", announced="105") == (
            ON_TRACK,
            "12 h of open work, 70 h of capacity before 13 March",
        )

    def test_open_work_equal_to_the_capacity_still_fits(self):
        assert health(open_hours="35", internal="35", announced="63")[0] == ON_TRACK

    def test_work_beyond_the_internal_date_eats_the_margin_and_is_at_risk(self):
        assert health(open_hours="40", internal="35", announced="63") == (
            AT_RISK,
            "40 h of open work, 35 h of capacity before 13 March: the margin is being used",
        )

    def test_work_beyond_the_announced_date_is_late(self):
        assert health(open_hours="80", internal="35", announced="63.5") == (
            LATE,
            "80 h of open work, 63.5 h of capacity before 19 March (announced date)",
        )

    def test_a_passed_announced_date_is_late(self):
        assert health(today=date(2026, 3, 20), open_hours="4") == (
            LATE,
            "The announced date, 19 March, has passed and it is not delivered: 4 h of open work",
        )
        assert health(today=date(2026, 3, 20)) == (
            LATE,
            "The announced date, 19 March, has passed and it is not delivered",
        )

    def test_a_passed_internal_date_with_open_work_is_at_risk(self):
        # Monday 16 March: the internal date (Friday 13) has passed, 4 days remain before the 19th.
        assert health(today=date(2026, 3, 16), open_hours="6", internal="0", announced="28") == (
            AT_RISK,
            "The internal date, 13 March, has passed with 6 h of open work; "
            "28 h of capacity before 19 March (announced date)",
        )

    def test_a_passed_internal_date_with_only_unestimated_tasks_is_at_risk(self):
        assert health(today=date(2026, 3, 16), announced="28", unestimated=1) == (
            AT_RISK,
            "The internal date, 13 March, has passed with open tasks; "
            "28 h of capacity before 19 March (announced date) (1 open task without an estimate)",
        )

    def test_a_passed_internal_date_without_open_work_only_waits_for_delivery(self):
        assert health(today=date(2026, 3, 16), announced="28") == (
            ON_TRACK,
            "No open task: it can be delivered",
        )

    def test_no_open_work_before_the_internal_date(self):
        assert health(internal="70", announced="105") == (ON_TRACK, "No open work before 13 March")

    def test_tasks_without_estimate_are_mentioned(self):
        assert health(open_hours="12", internal="70", announced="105", unestimated=2) == (
            ON_TRACK,
            "12 h of open work, 70 h of capacity before 13 March (2 open tasks without an estimate)",
        )

    @pytest.mark.parametrize("status", ["delivered", "accepted"])
    def test_a_delivered_deliverable_is_on_track_whatever_the_dates(self, status):
        assert health(deliverable(status=status), today=date(2026, 4, 1), open_hours="50") == (
            ON_TRACK,
            "Delivered" if status == "delivered" else "Accepted",
        )

    def test_hours_lose_trailing_zeros_and_follow_the_language(self):
        assert [format_hours(Decimal(value)) for value in ("12.00", "6.50", "0.25", "10", "3.333")] == [
            "12",
            "6.5",
            "0.25",
            "10",
            "3.33",
        ]
        with translation.override("fr"):
            result, reason = health(open_hours="6.50", internal="4", announced="63")
        # The words come from the French catalogue; the number and the date from French formats.
        assert result == AT_RISK
        assert reason.startswith("6,5")
        assert "13 mars" in reason


class TestBusinessDaysFromToday:
    def test_today_counts_when_it_is_a_business_day(self):
        assert business_days_from_today(MONDAY, date(2026, 3, 6)) == 5
        assert business_days_from_today(MONDAY, MONDAY) == 1

    def test_a_weekend_today_does_not_count(self):
        assert business_days_from_today(date(2026, 3, 7), date(2026, 3, 13)) == 5

    def test_holidays_are_skipped_and_a_past_date_gives_nothing(self):
        # 4 → 8 May 2026: 8 May (Victoire 1945) is a holiday.
        assert business_days_from_today(date(2026, 5, 4), date(2026, 5, 8)) == 4
        # 11 → 15 May: Ascension Thursday 14 May.
        assert business_days_from_today(date(2026, 5, 11), date(2026, 5, 15)) == 4
        assert business_days_from_today(date(2026, 3, 16), INTERNAL) == 0


@pytest.mark.django_db
class TestLoader:
    @pytest.fixture
    def mission(self):
        return MissionFactory(start_date=date(2026, 2, 2))

    @pytest.fixture
    def member(self, mission):
        return MissionMemberFactory(mission=mission).user

    def make(self, mission, internal, announced, **kwargs):
        return DeliverableFactory(mission=mission, internal_date=internal, announced_date=announced, **kwargs)

    def test_open_work_of_the_assignees_against_their_capacity(self, mission, member):
        # Mon 2 → Fri 6 March: 5 business days × 7 h; the announced Wed 11 adds 3 more.
        item = self.make(mission, date(2026, 3, 6), date(2026, 3, 11), owner=mission.lead)
        TaskFactory(mission=mission, deliverable=item, assignee=member, estimate_hours=Decimal("20"))
        TaskFactory(mission=mission, deliverable=item, assignee=member, estimate_hours=Decimal("4.5"))
        TaskFactory(mission=mission, deliverable=item, assignee=member, estimate_hours=None)
        TaskFactory(
            mission=mission, deliverable=item, assignee=member, estimate_hours=Decimal("50"), status="done"
        )
        TaskFactory(mission=mission, deliverable=None, assignee=member, estimate_hours=Decimal("90"))

        inputs = deliverables_health_inputs(mission, MONDAY)[item.pk]

        assert (inputs.open_hours, inputs.capacity_until_internal, inputs.capacity_until_announced) == (
            Decimal("24.5"),
            Decimal("35"),
            Decimal("56"),
        )
        assert inputs.unestimated_tasks == 1
        with translation.override("en"):
            assert deliverables_health(mission, MONDAY)[item.pk] == (
                ON_TRACK,
                "24.5 h of open work, 35 h of capacity before 6 March (1 open task without an estimate)",
            )

    def test_weekly_capacity_on_the_mission_scales_a_member(self, mission):
        part_timer = MissionMemberFactory(mission=mission, weekly_capacity_hours=Decimal("14")).user
        item = self.make(mission, date(2026, 3, 6), date(2026, 3, 11))
        TaskFactory(mission=mission, deliverable=item, assignee=part_timer, estimate_hours=Decimal("20"))

        inputs = deliverables_health_inputs([item], MONDAY)[item.pk]

        # 14 h a week is 2.8 h a day: 5 days before the internal date, 8 before the announced one.
        assert (inputs.capacity_until_internal, inputs.capacity_until_announced) == (
            Decimal("14"),
            Decimal("22.4"),
        )
        with translation.override("en"):
            assert deliverables_health([item], MONDAY)[item.pk] == (
                AT_RISK,
                "20 h of open work, 14 h of capacity before 6 March: the margin is being used",
            )

    def test_the_collectives_hours_per_day_is_used(self, mission, member):
        mission.collective.hours_per_day = Decimal("8")
        mission.collective.save()
        item = self.make(mission, date(2026, 3, 6), date(2026, 3, 11))
        TaskFactory(mission=mission, deliverable=item, assignee=member, estimate_hours=Decimal("20"))

        assert deliverables_health_inputs([item], MONDAY)[item.pk].capacity_until_internal == Decimal("40")

    def test_the_owner_does_the_work_when_no_open_task_is_assigned(self, mission):
        owner = MissionMemberFactory(mission=mission, weekly_capacity_hours=Decimal("21")).user
        MissionMemberFactory(mission=mission)
        item = self.make(mission, date(2026, 3, 6), date(2026, 3, 11), owner=owner)
        TaskFactory(mission=mission, deliverable=item, assignee=None, estimate_hours=Decimal("30"))

        inputs = deliverables_health_inputs([item], MONDAY)[item.pk]

        assert inputs.capacity_until_internal == Decimal("21")  # 4.2 h a day × 5, the owner's only

    def test_unassigned_work_counts_against_the_whole_team(self, mission, member):
        half_timer = MissionMemberFactory(mission=mission, weekly_capacity_hours=Decimal("17.5")).user
        item = self.make(mission, date(2026, 3, 6), date(2026, 3, 11), owner=half_timer)
        TaskFactory(mission=mission, deliverable=item, assignee=member, estimate_hours=Decimal("10"))
        TaskFactory(mission=mission, deliverable=item, assignee=None, estimate_hours=Decimal("60"))

        inputs = deliverables_health_inputs([item], MONDAY)[item.pk]

        # Lead and member full time (2 × 35 h) plus the half-timer (17.5 h) over the 5 days.
        assert (inputs.open_hours, inputs.capacity_until_internal) == (Decimal("70"), Decimal("87.5"))

    def test_an_unassigned_task_without_estimate_does_not_bring_the_team_in(self, mission, member):
        item = self.make(mission, date(2026, 3, 6), date(2026, 3, 11))
        TaskFactory(mission=mission, deliverable=item, assignee=member, estimate_hours=Decimal("40"))
        TaskFactory(mission=mission, deliverable=item, assignee=None, estimate_hours=None)

        inputs = deliverables_health_inputs([item], MONDAY)[item.pk]

        assert (inputs.capacity_until_internal, inputs.unestimated_tasks) == (Decimal("35"), 1)

    def test_unassigned_work_without_owner_counts_against_the_team(self, mission, member):
        item = self.make(mission, date(2026, 3, 6), date(2026, 3, 11))
        TaskFactory(mission=mission, deliverable=item, assignee=None, estimate_hours=Decimal("60"))

        assert deliverables_health_inputs([item], MONDAY)[item.pk].capacity_until_internal == Decimal("70")

    def test_an_assignee_who_left_the_team_counts_full_time(self, mission):
        former = MembershipFactory(collective=mission.collective).user
        item = self.make(mission, date(2026, 3, 6), date(2026, 3, 11))
        TaskFactory(mission=mission, deliverable=item, assignee=former, estimate_hours=Decimal("10"))

        assert deliverables_health_inputs([item], MONDAY)[item.pk].capacity_until_internal == Decimal("35")

    def test_weekends_and_holidays_in_the_window_give_no_capacity(self, mission, member):
        # Thursday 30 April 2026 → Friday 8 May: 1 May and 8 May are holidays, plus a weekend:
        # 30 April, 4, 5, 6, 7 May = 5 business days. Announced Wednesday 13 May: 3 more (11, 12, 13).
        item = self.make(mission, date(2026, 5, 8), date(2026, 5, 13))
        TaskFactory(mission=mission, deliverable=item, assignee=member, estimate_hours=Decimal("36"))

        inputs = deliverables_health_inputs([item], date(2026, 4, 30))[item.pk]

        assert (inputs.capacity_until_internal, inputs.capacity_until_announced) == (
            Decimal("35"),
            Decimal("56"),
        )
        with translation.override("en"):
            assert deliverables_health([item], date(2026, 4, 30))[item.pk] == (
                AT_RISK,
                "36 h of open work, 35 h of capacity before 8 May: the margin is being used",
            )

    def test_today_defaults_to_the_collectives_date(self, mission, member):
        item = self.make(mission, date(2026, 3, 6), date(2026, 3, 11))

        # 23:30 UTC on Sunday 1 March is already Monday 2 March in Paris.
        with time_machine.travel("2026-03-01 23:30:00+00:00", tick=False):
            assert deliverables_health_inputs([item])[item.pk].today == MONDAY

    def test_a_fixed_number_of_queries_whatever_the_number_of_deliverables(
        self, mission, member, django_assert_num_queries
    ):
        def build(count):
            items = []
            for index in range(count):
                item = self.make(mission, date(2026, 3, 6), date(2026, 3, 11))
                TaskFactory(mission=mission, deliverable=item, assignee=member, estimate_hours=Decimal(index))
                TaskFactory(mission=mission, deliverable=item, assignee=None, estimate_hours=None)
                items.append(Deliverable.objects.get(pk=item.pk))
            return items

        few, many = build(3), build(30)
        # Collectives, open tasks, team.
        with django_assert_num_queries(3):
            deliverables_health(few, MONDAY)
        with django_assert_num_queries(3):
            result = deliverables_health(many, MONDAY)
        assert len(result) == 30
        # Given the collective, or loading the mission's deliverables.
        with django_assert_num_queries(2):
            deliverables_health(many, MONDAY, collective=mission.collective)
        with django_assert_num_queries(4):
            assert len(deliverables_health(mission, MONDAY)) == 33
        assert deliverables_health([], MONDAY) == {}
        assert Task.objects.count() == 66
