import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cordee.core.tests.factories import MembershipFactory
from cordee.missions.models import Mission
from cordee.missions.tests.factories import MissionFactory, MissionMemberFactory, TimeEntryFactory
from cordee.timesheets.calculations import week_days
from cordee.timesheets.models import TimeEntry
from cordee.timesheets.services import TimesheetWeekInvalid, timesheet_week_save
from cordee.timesheets.tests.conftest import MONDAY, NOW

pytestmark = pytest.mark.django_db

WEEK_URL = reverse("timesheets:week")
TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)


def cell(mission, day):
    return f"c-{mission.pk}-{day.isoformat()}"


def snapshot():
    return sorted(
        TimeEntry.objects.values_list("pk", "mission_id", "user_id", "date", "hours", "activity", "locked_at")
    )


def post_week(client, values, week="2026-W10"):
    return client.post(f"{WEEK_URL}?week={week}", {"week": week, **values})


@pytest.fixture
def second_mission(collective, teammate):
    mission = MissionFactory(collective=collective, title="Application mobile")
    MissionMemberFactory(mission=mission, user=teammate)
    return mission


class TestGrid:
    def test_shows_one_row_per_mission_of_my_teams_across_collectives(
        self, teammate_client, mission, teammate
    ):
        elsewhere = MissionFactory(title="Mission d'un autre collectif")
        MembershipFactory(collective=elsewhere.collective, user=teammate)
        MissionMemberFactory(mission=elsewhere, user=teammate)
        not_on_team = MissionFactory(collective=mission.collective, title="Pas dans mon équipe")
        TimeEntryFactory(mission=mission, user=teammate, date=TUESDAY, hours=Decimal("3.5"))
        TimeEntryFactory(mission=mission, date=TUESDAY, hours=Decimal("6"))  # the lead's, not mine

        response = teammate_client.get(WEEK_URL)

        assert response.status_code == 200
        content = response.content.decode()
        assert "Week 10, from March 2, 2026 to March 8, 2026" in content
        assert "Refonte du site" in content
        assert "Mission d&#x27;un autre collectif" in content
        assert not_on_team.title not in content
        assert re.search(rf'name="{cell(mission, TUESDAY)}" value="3.5"', content)
        assert re.search(rf'name="{cell(elsewhere, MONDAY)}"(?! value)', content)
        assert (
            f'<label for="id_{cell(mission, TUESDAY)}" class="visually-hidden">Hours on Refonte du site, Tuesday 3 March</label>'
            in content
        )
        assert 'aria-current="date"' in content
        assert '<td class="num week-grid__total"><strong>3.5</strong></td>' in content

    def test_a_week_is_chosen_with_the_week_parameter(self, teammate_client, mission, teammate):
        TimeEntryFactory(mission=mission, user=teammate, date=dt.date(2026, 3, 10), hours=Decimal("2"))

        content = teammate_client.get(f"{WEEK_URL}?week=2026-W11").content.decode()

        assert "Week 11, from March 9, 2026 to March 15, 2026" in content
        assert re.search(rf'name="c-{mission.pk}-2026-03-10" value="2"', content)
        assert f'href="{WEEK_URL}?week=2026-W10" rel="prev"' in content
        assert f'href="{WEEK_URL}?week=2026-W12" rel="next"' in content

    def test_cells_with_several_entries_or_a_locked_one_are_read_only(
        self, teammate_client, mission, teammate
    ):
        TimeEntryFactory(mission=mission, user=teammate, date=MONDAY, hours=Decimal("2"))
        TimeEntryFactory(
            mission=mission, user=teammate, date=MONDAY, hours=Decimal("1.5"), activity="meeting"
        )
        TimeEntryFactory(mission=mission, user=teammate, date=TUESDAY, hours=Decimal("4"), locked_at=NOW)
        TimeEntryFactory(
            mission=mission, user=teammate, date=WEDNESDAY, hours=Decimal("1"), activity="meeting"
        )

        content = teammate_client.get(WEEK_URL).content.decode()

        for day in (MONDAY, TUESDAY, WEDNESDAY):
            assert f'name="{cell(mission, day)}"' not in content
        assert '<span class="week-grid__fixed">3.5</span>' in content
        assert "2 entries" in content
        assert '<span class="week-grid__fixed">4</span>' in content
        assert '<span class="visually-hidden">Locked</span>' in content

    def test_a_closed_mission_shows_only_when_it_holds_time_that_week_and_is_read_only(
        self, teammate_client, mission, teammate, second_mission
    ):
        mission.status = Mission.Status.CLOSED
        mission.save()
        second_mission.status = Mission.Status.CLOSED
        second_mission.save()
        TimeEntryFactory(mission=mission, user=teammate, date=MONDAY, hours=Decimal("2"))

        content = teammate_client.get(WEEK_URL).content.decode()

        assert "Refonte du site" in content
        assert "Closed mission" in content
        assert "Application mobile" not in content
        assert f'name="{cell(mission, TUESDAY)}"' not in content

    def test_without_a_team_the_page_says_what_to_do(self, client, member_membership):
        client.force_login(member_membership.user)

        content = client.get(WEEK_URL).content.decode()

        assert (
            "You are on no mission&#x27;s team yet." in content
            or "You are on no mission's team yet." in content
        )
        assert "Save the week" not in content

    def test_query_count_does_not_grow_with_missions_and_entries(
        self, teammate_client, mission, teammate, django_assert_num_queries
    ):
        TimeEntryFactory(mission=mission, user=teammate, date=MONDAY)
        teammate_client.get(WEEK_URL)  # warm-up
        with django_assert_num_queries(5) as few:
            teammate_client.get(WEEK_URL)

        for index in range(12):
            if index % 2:
                other = MissionFactory(collective=mission.collective)
            else:  # a mission of another collective of theirs
                other = MissionFactory()
                MembershipFactory(collective=other.collective, user=teammate)
            MissionMemberFactory(mission=other, user=teammate)
            for day in week_days(MONDAY)[: index % 7 + 1]:
                TimeEntryFactory(mission=other, user=teammate, date=day, hours=Decimal("0.5"))
        with django_assert_num_queries(len(few.captured_queries)):
            response = teammate_client.get(WEEK_URL)
        assert response.content.decode().count('<th scope="row" class="week-grid__mission">') == 13


class TestSave:
    def test_filled_cells_create_production_entries_and_empty_ones_change_nothing(
        self, teammate_client, mission, teammate, second_mission
    ):
        response = post_week(
            teammate_client,
            {
                cell(mission, MONDAY): "7",
                cell(mission, TUESDAY): "3.5",
                cell(second_mission, TUESDAY): "3,5",
                cell(second_mission, WEDNESDAY): "",
            },
        )

        assert response.status_code == 302
        assert response["Location"] == f"{WEEK_URL}?week=2026-W10&day=2"  # Wednesday, today
        entries = TimeEntry.objects.order_by("mission_id", "date")
        assert [(e.mission_id, e.user_id, e.date, e.hours, e.activity, e.collective_id) for e in entries] == [
            (mission.pk, teammate.pk, MONDAY, Decimal("7"), "production", mission.collective_id),
            (mission.pk, teammate.pk, TUESDAY, Decimal("3.5"), "production", mission.collective_id),
            (second_mission.pk, teammate.pk, TUESDAY, Decimal("3.5"), "production", mission.collective_id),
        ]
        followed = teammate_client.get(response["Location"]).content.decode()
        assert "Timesheet saved: 3 days changed." in followed

    def test_a_changed_cell_updates_its_single_production_entry_and_0_removes_it(
        self, teammate_client, mission, teammate
    ):
        kept = TimeEntryFactory(
            mission=mission, user=teammate, date=MONDAY, hours=Decimal("2"), note="Intégration"
        )
        removed = TimeEntryFactory(mission=mission, user=teammate, date=TUESDAY, hours=Decimal("3"))
        unchanged = TimeEntryFactory(mission=mission, user=teammate, date=WEDNESDAY, hours=Decimal("4"))
        unchanged_stamp = TimeEntry.objects.get(pk=unchanged.pk).updated_at

        response = post_week(
            teammate_client,
            {cell(mission, MONDAY): "6.5", cell(mission, TUESDAY): "0", cell(mission, WEDNESDAY): "4"},
        )

        assert response.status_code == 302
        kept.refresh_from_db()
        assert (kept.hours, kept.note, kept.activity) == (Decimal("6.5"), "Intégration", "production")
        assert not TimeEntry.objects.filter(pk=removed.pk).exists()
        assert TimeEntry.objects.get(pk=unchanged.pk).updated_at == unchanged_stamp
        assert TimeEntry.objects.count() == 2
        assert (
            "Timesheet saved: 2 days changed." in teammate_client.get(response["Location"]).content.decode()
        )

    def test_clearing_a_cell_keeps_its_entry(self, teammate_client, mission, teammate):
        TimeEntryFactory(mission=mission, user=teammate, date=MONDAY, hours=Decimal("2"))
        before = snapshot()

        response = post_week(teammate_client, {cell(mission, MONDAY): ""})

        assert response.status_code == 302
        assert snapshot() == before
        assert (
            "Nothing changed in the timesheet." in teammate_client.get(response["Location"]).content.decode()
        )

    def test_a_posted_value_for_a_read_only_cell_is_ignored(self, teammate_client, mission, teammate):
        TimeEntryFactory(mission=mission, user=teammate, date=MONDAY, hours=Decimal("2"))
        TimeEntryFactory(mission=mission, user=teammate, date=MONDAY, hours=Decimal("1"))
        TimeEntryFactory(mission=mission, user=teammate, date=TUESDAY, hours=Decimal("4"), locked_at=NOW)
        before = snapshot()

        response = post_week(teammate_client, {cell(mission, MONDAY): "8", cell(mission, TUESDAY): "1"})

        assert response.status_code == 302
        assert snapshot() == before

    def test_a_day_over_24_hours_saves_nothing_and_keeps_what_was_typed(
        self, teammate_client, mission, teammate, second_mission
    ):
        TimeEntryFactory(mission=mission, user=teammate, date=MONDAY, hours=Decimal("2"))
        before = snapshot()

        response = post_week(
            teammate_client,
            {cell(mission, MONDAY): "12", cell(second_mission, MONDAY): "12.5", cell(mission, TUESDAY): "7"},
        )

        assert response.status_code == 200
        content = response.content.decode()
        assert "March 2, 2026 would total 24.5 h, and a day has only 24 hours." in content
        assert re.search(rf'name="{cell(mission, MONDAY)}" value="12"', content)
        assert re.search(rf'name="{cell(second_mission, MONDAY)}" value="12.5"', content)
        assert re.search(rf'name="{cell(mission, TUESDAY)}" value="7"', content)
        assert snapshot() == before

    def test_a_wrong_cell_is_marked_and_nothing_is_saved(self, teammate_client, mission):
        response = post_week(
            teammate_client,
            {cell(mission, MONDAY): "7", cell(mission, TUESDAY): "1.1", cell(mission, WEDNESDAY): "x"},
        )

        assert response.status_code == 200
        content = response.content.decode()
        assert "Nothing was saved: correct the cells marked below." in content
        assert "Time is counted in quarter hours: enter for example 1 or 1.25." in content
        assert "Enter a number of hours, for example 7 or 3.5." in content
        assert re.search(rf'name="{cell(mission, TUESDAY)}" value="1.1"', content)
        assert TimeEntry.objects.count() == 0

    def test_hours_move_between_missions_on_a_full_day(
        self, teammate_client, mission, teammate, second_mission
    ):
        TimeEntryFactory(mission=mission, user=teammate, date=MONDAY, hours=Decimal("20"))
        TimeEntryFactory(mission=second_mission, user=teammate, date=MONDAY, hours=Decimal("4"))

        response = post_week(
            teammate_client, {cell(mission, MONDAY): "4", cell(second_mission, MONDAY): "20"}
        )

        assert response.status_code == 302
        assert dict(TimeEntry.objects.values_list("mission_id", "hours")) == {
            mission.pk: Decimal("4"),
            second_mission.pk: Decimal("20"),
        }

    def test_time_on_other_days_of_another_collective_counts_in_the_day(
        self, teammate_client, mission, teammate
    ):
        elsewhere = MissionFactory()
        MembershipFactory(collective=elsewhere.collective, user=teammate)
        MissionMemberFactory(mission=elsewhere, user=teammate)
        TimeEntryFactory(
            mission=elsewhere, user=teammate, date=MONDAY, hours=Decimal("20"), activity="meeting"
        )

        response = post_week(teammate_client, {cell(mission, MONDAY): "5"})

        assert response.status_code == 200
        assert "March 2, 2026 would total 25 h, and a day has only 24 hours." in response.content.decode()
        assert TimeEntry.objects.count() == 1

    def test_cells_of_a_mission_outside_my_teams_are_ignored(self, teammate_client, mission, collective):
        not_on_team = MissionFactory(collective=collective)

        response = post_week(teammate_client, {cell(not_on_team, MONDAY): "3"})

        assert response.status_code == 302
        assert TimeEntry.objects.count() == 0


class TestSaveService:
    def test_a_mission_outside_the_user_s_teams_is_refused(self, mission, teammate, collective):
        not_on_team = MissionFactory(collective=collective)

        with pytest.raises(PermissionDenied):
            timesheet_week_save(
                user=teammate, days=week_days(MONDAY), values={(not_on_team.pk, MONDAY): Decimal("3")}
            )

        assert TimeEntry.objects.count() == 0

    def test_a_day_outside_the_week_is_refused(self, mission, teammate):
        with pytest.raises(PermissionDenied):
            timesheet_week_save(
                user=teammate,
                days=week_days(MONDAY),
                values={(mission.pk, dt.date(2026, 3, 9)): Decimal("3")},
            )

        assert TimeEntry.objects.count() == 0

    def test_a_read_only_cell_that_changes_is_reported(self, mission, teammate):
        TimeEntryFactory(mission=mission, user=teammate, date=MONDAY, hours=Decimal("2"), locked_at=NOW)

        with pytest.raises(TimesheetWeekInvalid) as invalid:
            timesheet_week_save(
                user=teammate, days=week_days(MONDAY), values={(mission.pk, MONDAY): Decimal("3")}
            )

        assert invalid.value.cell_errors == {
            (mission.pk, MONDAY): [
                "This day holds several entries or a locked one: change it on the mission's page."
            ]
        }
        assert TimeEntry.objects.get().hours == Decimal("2")

    def test_counts_what_changed(self, mission, teammate):
        TimeEntryFactory(mission=mission, user=teammate, date=MONDAY, hours=Decimal("2"))
        TimeEntryFactory(mission=mission, user=teammate, date=TUESDAY, hours=Decimal("2"))

        result = timesheet_week_save(
            user=teammate,
            days=week_days(MONDAY),
            values={
                (mission.pk, MONDAY): Decimal("3"),
                (mission.pk, TUESDAY): Decimal("0"),
                (mission.pk, WEDNESDAY): Decimal("1.25"),
                (mission.pk, WEDNESDAY + dt.timedelta(days=1)): Decimal("0"),
            },
        )

        assert (result.created, result.updated, result.deleted) == (1, 1, 1)
        assert sorted(TimeEntry.objects.values_list("date", "hours")) == [
            (MONDAY, Decimal("3")),
            (WEDNESDAY, Decimal("1.25")),
        ]


class TestPhoneDayView:
    """A phone shows one day of the grid at a time: today in the current week, the day asked for otherwise."""

    def test_the_current_week_shows_today_first(self, teammate_client, mission):
        content = teammate_client.get(WEEK_URL).content.decode()

        today = NOW.date().weekday()
        assert f'data-shown-day="{today}"' in content
        assert f'data-day-pick="{today}" aria-current="true"' in content
        assert content.count('aria-current="true"') == 1

    def test_another_week_starts_on_monday_and_a_day_can_be_asked_for(self, teammate_client, mission):
        assert 'data-shown-day="0"' in teammate_client.get(f"{WEEK_URL}?week=2026-W11").content.decode()
        assert 'data-shown-day="4"' in teammate_client.get(f"{WEEK_URL}?week=2026-W11&day=4").content.decode()
        assert 'data-shown-day="0"' in teammate_client.get(f"{WEEK_URL}?week=2026-W11&day=9").content.decode()

    def test_saving_comes_back_to_the_day_shown(self, teammate_client, mission):
        response = teammate_client.post(
            f"{WEEK_URL}?week=2026-W10", {"week": "2026-W10", "day": "1", cell(mission, TUESDAY): "2"}
        )

        assert response.status_code == 302
        assert response["Location"] == f"{WEEK_URL}?week=2026-W10&day=1"
