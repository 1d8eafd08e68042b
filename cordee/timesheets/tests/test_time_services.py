import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cordee.core.tests.factories import MembershipFactory
from cordee.missions.models import Mission
from cordee.missions.tests.factories import (
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
    TimeEntryFactory,
)
from cordee.timesheets.models import TimeEntry
from cordee.timesheets.services import (
    time_entries_lock,
    time_entry_delete,
    time_entry_log,
    time_entry_update,
)
from cordee.timesheets.tests.conftest import NOW, TODAY

pytestmark = pytest.mark.django_db


def entry_values(entry):
    entry.refresh_from_db()
    return (
        entry.date,
        entry.hours,
        entry.activity,
        entry.deliverable_id,
        entry.task_id,
        entry.note,
        entry.locked_at,
    )


def messages_of(error: ValidationError) -> dict:
    return error.value.message_dict


class TestLog:
    def test_a_team_member_logs_hours_on_a_deliverable_and_task(self, mission, teammate):
        deliverable = DeliverableFactory(mission=mission)
        task = TaskFactory(mission=mission, deliverable=deliverable)

        entry = time_entry_log(
            mission=mission,
            user=teammate,
            date=TODAY,
            hours=Decimal("2.75"),
            activity=TimeEntry.Activity.MEETING,
            deliverable=deliverable,
            task=task,
            note="  Atelier avec le client  ",
        )

        entry.refresh_from_db()
        assert entry.collective_id == mission.collective_id
        assert entry.mission == mission
        assert entry.user == teammate
        assert entry.date == TODAY
        assert entry.hours == Decimal("2.75")
        assert entry.activity == "meeting"
        assert entry.deliverable == deliverable
        assert entry.task == task
        assert entry.note == "Atelier avec le client"
        assert entry.locked_at is None

    @pytest.mark.parametrize(
        ("days", "hours_per_day", "hours"),
        [("0.5", "7", "3.50"), ("1", "7", "7.00"), ("0.5", "7.5", "3.75"), ("1.25", "8", "10.00")],
    )
    def test_days_are_converted_at_the_collective_hours_per_day(self, mission, days, hours_per_day, hours):
        mission.collective.hours_per_day = Decimal(hours_per_day)
        mission.collective.save()

        entry = time_entry_log(mission=mission, user=mission.lead, date=TODAY, days=Decimal(days))

        entry.refresh_from_db()
        assert entry.hours == Decimal(hours)

    def test_the_task_gives_its_deliverable_when_none_is_chosen(self, mission):
        deliverable = DeliverableFactory(mission=mission)
        task = TaskFactory(mission=mission, deliverable=deliverable)

        entry = time_entry_log(mission=mission, user=mission.lead, date=TODAY, hours=Decimal("1"), task=task)

        assert entry.deliverable == deliverable

    @pytest.mark.parametrize(
        ("hours", "message"),
        [
            ("0", "Enter a time greater than zero."),
            ("-1", "Enter a time greater than zero."),
            ("24.25", "One entry cannot exceed 24 hours."),
            ("0.1", "Time is counted in quarter hours: enter for example 0.25 (a quarter of an hour)."),
            ("1.2", "Time is counted in quarter hours: enter for example 1 or 1.25."),
            ("7.6", "Time is counted in quarter hours: enter for example 7.5 or 7.75."),
        ],
    )
    def test_hours_must_be_positive_quarter_hours_up_to_24(self, mission, hours, message):
        with pytest.raises(ValidationError) as error:
            time_entry_log(mission=mission, user=mission.lead, date=TODAY, hours=Decimal(hours))

        assert messages_of(error) == {"hours": [message]}
        assert TimeEntry.objects.count() == 0

    def test_days_that_do_not_make_quarter_hours_are_refused_with_the_conversion(self, mission):
        with pytest.raises(ValidationError) as error:
            time_entry_log(mission=mission, user=mission.lead, date=TODAY, days=Decimal("0.1"))

        assert messages_of(error) == {
            "hours": [
                "0.1 day is 0.7 h at 7 h a day, which is not a whole number of quarter hours. "
                "Enter the time in hours instead (for example 0.5 or 0.75)."
            ]
        }
        assert TimeEntry.objects.count() == 0

    def test_exactly_24_hours_in_one_entry_is_accepted(self, mission):
        entry = time_entry_log(mission=mission, user=mission.lead, date=TODAY, hours=Decimal("24"))

        assert entry.hours == Decimal("24")

    def test_a_day_holds_at_most_24_hours_across_missions_and_collectives(self, mission, teammate):
        other_collective_mission = MissionFactory()
        MissionMemberFactory(mission=other_collective_mission, user=teammate)
        MembershipFactory(collective=other_collective_mission.collective, user=teammate)
        TimeEntryFactory(mission=mission, user=teammate, date=TODAY, hours=Decimal("10"))
        TimeEntryFactory(mission=other_collective_mission, user=teammate, date=TODAY, hours=Decimal("12"))
        TimeEntryFactory(
            mission=mission, user=teammate, date=TODAY - dt.timedelta(days=1), hours=Decimal("12")
        )

        with pytest.raises(ValidationError) as error:
            time_entry_log(mission=mission, user=teammate, date=TODAY, hours=Decimal("2.25"))

        assert messages_of(error) == {
            "hours": [
                "That would make 24.25 h on March 4, 2026, and a day has only 24 hours: "
                "22 h are already logged that day."
            ]
        }
        assert TimeEntry.objects.filter(user=teammate, date=TODAY).count() == 2
        assert time_entry_log(mission=mission, user=teammate, date=TODAY, hours=Decimal("2")).hours == 2

    def test_someone_else_s_time_does_not_count_in_my_day(self, mission, teammate):
        TimeEntryFactory(mission=mission, user=mission.lead, date=TODAY, hours=Decimal("20"))

        entry = time_entry_log(mission=mission, user=teammate, date=TODAY, hours=Decimal("8"))

        assert entry.hours == Decimal("8")

    def test_a_deliverable_of_another_mission_is_refused(self, mission, collective):
        other = DeliverableFactory(mission=MissionFactory(collective=collective))

        with pytest.raises(ValidationError) as error:
            time_entry_log(
                mission=mission, user=mission.lead, date=TODAY, hours=Decimal("1"), deliverable=other
            )

        assert messages_of(error) == {"deliverable": ["Choose a deliverable of this mission."]}
        assert TimeEntry.objects.count() == 0

    def test_a_task_of_another_mission_is_refused(self, mission, collective):
        other = TaskFactory(mission=MissionFactory(collective=collective))

        with pytest.raises(ValidationError) as error:
            time_entry_log(mission=mission, user=mission.lead, date=TODAY, hours=Decimal("1"), task=other)

        assert messages_of(error) == {"task": ["Choose a task of this mission."]}
        assert TimeEntry.objects.count() == 0

    def test_a_task_of_another_deliverable_than_the_one_chosen_is_refused(self, mission):
        first = DeliverableFactory(mission=mission, title="Maquettes")
        second = DeliverableFactory(mission=mission, title="Intégration")
        task = TaskFactory(mission=mission, deliverable=first)

        with pytest.raises(ValidationError) as error:
            time_entry_log(
                mission=mission,
                user=mission.lead,
                date=TODAY,
                hours=Decimal("1"),
                deliverable=second,
                task=task,
            )

        assert messages_of(error) == {"task": ["This task belongs to the deliverable “Maquettes”."]}
        assert TimeEntry.objects.count() == 0

    def test_a_collective_member_outside_the_team_cannot_log_time(self, mission, member_membership):
        with pytest.raises(PermissionDenied):
            time_entry_log(mission=mission, user=member_membership.user, date=TODAY, hours=Decimal("1"))

        assert TimeEntry.objects.count() == 0

    def test_no_time_is_logged_on_a_closed_mission(self, mission):
        mission.status = Mission.Status.CLOSED
        mission.save()

        with pytest.raises(ValidationError) as error:
            time_entry_log(mission=mission, user=mission.lead, date=TODAY, hours=Decimal("1"))

        assert error.value.messages == ["This mission is closed: time can no longer be logged on it."]
        assert TimeEntry.objects.count() == 0

    def test_an_unknown_activity_is_refused(self, mission):
        with pytest.raises(ValidationError) as error:
            time_entry_log(
                mission=mission, user=mission.lead, date=TODAY, hours=Decimal("1"), activity="holiday"
            )

        assert messages_of(error) == {"activity": ["Choose an activity."]}


class TestUpdate:
    def test_the_author_changes_their_entry(self, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=teammate, hours=Decimal("2"))
        deliverable = DeliverableFactory(mission=mission)

        time_entry_update(
            entry=entry,
            by=teammate,
            date=TODAY - dt.timedelta(days=1),
            days=Decimal("0.5"),
            activity="project_management",
            deliverable=deliverable,
            note="Point d'avancement",
        )

        assert entry_values(entry) == (
            TODAY - dt.timedelta(days=1),
            Decimal("3.50"),
            "project_management",
            deliverable.pk,
            None,
            "Point d'avancement",
            None,
        )

    def test_the_lead_and_an_admin_change_someone_else_s_entry(self, mission, teammate, collective):
        entry = TimeEntryFactory(mission=mission, user=teammate, hours=Decimal("2"))
        other_admin = MembershipFactory(collective=collective, role="admin").user

        time_entry_update(entry=entry, by=mission.lead, date=TODAY, hours=Decimal("3"))
        assert entry_values(entry)[1] == Decimal("3")
        time_entry_update(entry=entry, by=other_admin, date=TODAY, hours=Decimal("4"))
        assert entry_values(entry)[1] == Decimal("4")
        assert entry.user == teammate

    def test_another_team_member_cannot_change_my_entry(self, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=mission.lead, hours=Decimal("2"))
        before = entry_values(entry)

        with pytest.raises(PermissionDenied):
            time_entry_update(entry=entry, by=teammate, date=TODAY, hours=Decimal("5"))

        assert entry_values(entry) == before

    def test_a_locked_entry_cannot_change(self, mission):
        entry = TimeEntryFactory(mission=mission, hours=Decimal("2"), locked_at=NOW)
        before = entry_values(entry)

        with pytest.raises(ValidationError) as error:
            time_entry_update(entry=entry, by=mission.lead, date=TODAY, hours=Decimal("5"), note="Changé")

        assert error.value.code == "locked"
        assert error.value.messages == [
            "This entry was locked on March 4, 2026 (invoiced): it can no longer be changed."
        ]
        assert entry_values(entry) == before

    def test_an_entry_locked_after_it_was_read_is_not_changed(self, mission):
        entry = TimeEntryFactory(mission=mission, hours=Decimal("2"))
        TimeEntry.objects.filter(pk=entry.pk).update(locked_at=NOW)  # invoiced in between
        assert entry.locked_at is None

        with pytest.raises(ValidationError) as error:
            time_entry_update(entry=entry, by=mission.lead, date=TODAY, hours=Decimal("5"))

        assert error.value.code == "locked"
        entry.refresh_from_db()
        assert entry.hours == Decimal("2")

    def test_the_day_total_excludes_the_entry_being_changed(self, mission):
        entry = TimeEntryFactory(mission=mission, hours=Decimal("20"), date=TODAY)
        TimeEntryFactory(mission=mission, hours=Decimal("4"), date=TODAY)

        time_entry_update(entry=entry, by=mission.lead, date=TODAY, hours=Decimal("19.5"))
        assert entry_values(entry)[1] == Decimal("19.5")

        with pytest.raises(ValidationError) as error:
            time_entry_update(entry=entry, by=mission.lead, date=TODAY, hours=Decimal("20.25"))
        assert messages_of(error)["hours"][0].startswith("That would make 24.25 h on March 4, 2026")
        assert entry_values(entry)[1] == Decimal("19.5")

    def test_the_day_rule_counts_the_author_s_day_when_the_lead_edits(self, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=teammate, hours=Decimal("2"), date=TODAY)
        TimeEntryFactory(mission=mission, user=teammate, hours=Decimal("20"), date=TODAY)

        with pytest.raises(ValidationError):
            time_entry_update(entry=entry, by=mission.lead, date=TODAY, hours=Decimal("5"))

        assert entry_values(entry)[1] == Decimal("2")

    def test_a_deliverable_of_another_mission_is_refused(self, mission, collective):
        entry = TimeEntryFactory(mission=mission, hours=Decimal("2"))
        before = entry_values(entry)
        other = DeliverableFactory(mission=MissionFactory(collective=collective))

        with pytest.raises(ValidationError) as error:
            time_entry_update(entry=entry, by=mission.lead, date=TODAY, hours=Decimal("1"), deliverable=other)

        assert messages_of(error) == {"deliverable": ["Choose a deliverable of this mission."]}
        assert entry_values(entry) == before


class TestDelete:
    def test_the_author_deletes_their_entry(self, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=teammate)

        time_entry_delete(entry=entry, by=teammate)

        assert not TimeEntry.objects.filter(pk=entry.pk).exists()

    def test_the_lead_deletes_someone_else_s_entry(self, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=teammate)

        time_entry_delete(entry=entry, by=mission.lead)

        assert not TimeEntry.objects.filter(pk=entry.pk).exists()

    def test_another_member_cannot_delete_my_entry(self, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=mission.lead)

        with pytest.raises(PermissionDenied):
            time_entry_delete(entry=entry, by=teammate)

        assert TimeEntry.objects.filter(pk=entry.pk).exists()

    def test_a_locked_entry_cannot_be_deleted(self, mission):
        entry = TimeEntryFactory(mission=mission, locked_at=NOW)
        before = entry_values(entry)

        with pytest.raises(ValidationError) as error:
            time_entry_delete(entry=entry, by=mission.lead)

        assert error.value.messages == [
            "This entry was locked on March 4, 2026 (invoiced): it can no longer be deleted."
        ]
        assert entry_values(entry) == before


class TestLock:
    def test_locks_the_given_entries_of_the_collective_only(self, mission):
        first = TimeEntryFactory(mission=mission)
        second = TimeEntryFactory(mission=mission)
        untouched = TimeEntryFactory(mission=mission)
        elsewhere = TimeEntryFactory(mission=MissionFactory())

        count = time_entries_lock(
            collective=mission.collective, entry_ids=[first.pk, second.pk, elsewhere.pk]
        )

        assert count == 2
        assert entry_values(first)[-1] == NOW
        assert entry_values(second)[-1] == NOW
        assert entry_values(untouched)[-1] is None
        assert entry_values(elsewhere)[-1] is None

    def test_an_entry_keeps_its_first_lock_date(self, mission):
        earlier = NOW - dt.timedelta(days=30)
        entry = TimeEntryFactory(mission=mission, locked_at=earlier)

        count = time_entries_lock(collective=mission.collective, entry_ids=[entry.pk], at=timezone.now())

        assert count == 0
        assert entry_values(entry)[-1] == earlier

    def test_locked_entries_stay_readable_in_totals_but_not_changeable(self, mission):
        entry = TimeEntryFactory(mission=mission, hours=Decimal("2"))
        time_entries_lock(collective=mission.collective, entry_ids=[entry.pk])

        with pytest.raises(ValidationError):
            time_entry_update(entry=entry, by=mission.lead, date=TODAY, hours=Decimal("3"))
        with pytest.raises(ValidationError):
            time_entry_delete(entry=entry, by=mission.lead)

        assert entry_values(entry)[1] == Decimal("2")
