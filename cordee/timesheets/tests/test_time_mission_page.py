import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from cordee.core.tests.factories import AdminMembershipFactory
from cordee.missions.tests.factories import (
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
    TimeEntryFactory,
)
from cordee.timesheets.models import TimeEntry
from cordee.timesheets.tests.conftest import NOW, TODAY

pytestmark = pytest.mark.django_db


def time_url(mission, **params):
    url = reverse("timesheets:mission", args=[mission.collective.slug, mission.pk])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def edit_url(entry):
    return reverse("timesheets:entry_edit", args=[entry.collective.slug, entry.mission_id, entry.pk])


def delete_url(entry):
    return reverse("timesheets:entry_delete", args=[entry.collective.slug, entry.mission_id, entry.pk])


def log_data(**changes):
    data = {
        "date": TODAY.isoformat(),
        "duration": "2",
        "unit": "hours",
        "activity": "production",
        "deliverable": "",
        "task": "",
        "note": "",
    }
    data.update(changes)
    return data


def snapshot():
    return sorted(
        TimeEntry.objects.values_list("pk", "user_id", "date", "hours", "activity", "note", "locked_at")
    )


class TestPage:
    def test_a_team_member_sees_the_form_with_today_and_the_mission_s_choices(self, teammate_client, mission):
        deliverable = DeliverableFactory(mission=mission, title="Maquettes")
        task = TaskFactory(mission=mission, title="Page d'accueil")
        done = TaskFactory(mission=mission, title="Palette", deliverable=deliverable, status="done")
        DeliverableFactory(mission=MissionFactory(collective=mission.collective), title="Livrable ailleurs")

        response = teammate_client.get(time_url(mission))

        assert response.status_code == 200
        content = response.content.decode()
        assert '<h2 id="log-title">Log time</h2>' in content
        assert 'value="2026-03-04"' in content
        assert f'<option value="{deliverable.pk}">Maquettes</option>' in content
        assert f'<option value="{task.pk}">Page d&#x27;accueil</option>' in content
        assert content.index('<optgroup label="Maquettes">') < content.index(
            '<optgroup label="No deliverable">'
        )
        assert f'<option value="{done.pk}">Palette (done)</option>' in content
        assert "Livrable ailleurs" not in content
        assert "In quarter hours; a day counts 7 h in this collective." in content
        assert 'aria-current="page">Time</a>' in content

    def test_the_day_of_the_last_entry_is_kept_for_the_next_one(self, teammate_client, mission):
        content = teammate_client.get(time_url(mission, date="2026-03-02")).content.decode()

        assert 'value="2026-03-02"' in content

    def test_a_collective_member_outside_the_team_sees_totals_but_no_form(
        self, client, mission, member_membership
    ):
        TimeEntryFactory(mission=mission, hours=Decimal("3.5"))
        client.force_login(member_membership.user)

        response = client.get(time_url(mission))

        assert response.status_code == 200
        content = response.content.decode()
        assert "Only the mission's team members log time on it." in content
        assert 'name="duration"' not in content
        assert "Time against estimates" in content
        assert "3.5&nbsp;h" in content

    def test_entries_show_their_lock_and_actions_only_where_allowed(self, teammate_client, mission, teammate):
        mine = TimeEntryFactory(mission=mission, user=teammate, note="Le mien")
        locked = TimeEntryFactory(mission=mission, user=teammate, locked_at=NOW, note="Facturé")
        leads = TimeEntryFactory(mission=mission, note="Celui du lead")

        content = teammate_client.get(time_url(mission)).content.decode()

        assert edit_url(mine) in content
        assert delete_url(mine) in content
        assert edit_url(locked) not in content
        assert delete_url(locked) not in content
        assert '<span class="badge badge--locked" title="Invoiced entries cannot change.">' in content
        assert "Celui du lead" in content
        assert edit_url(leads) not in content

    def test_the_lead_gets_actions_on_everyone_s_entries(self, admin_client, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=teammate)

        content = admin_client.get(time_url(mission)).content.decode()

        assert edit_url(entry) in content
        assert delete_url(entry) in content

    def test_entries_can_be_filtered_by_member_and_are_paginated(self, admin_client, mission, teammate):
        for offset in range(26):
            TimeEntryFactory(mission=mission, user=teammate, date=TODAY - dt.timedelta(days=offset), hours=1)
        TimeEntryFactory(mission=mission, note="Note du lead")

        first = admin_client.get(time_url(mission, member=teammate.pk)).content.decode()
        second = admin_client.get(time_url(mission, member=teammate.pk, page=2)).content.decode()

        assert "Note du lead" not in first
        assert "Page 1 of 2" in first
        assert f'href="?member={teammate.pk}&amp;page=2"' in first
        assert first.count("entry-actions") == 25
        assert second.count("entry-actions") == 1

    def test_an_empty_mission_says_what_to_do(self, teammate_client, mission):
        content = teammate_client.get(time_url(mission)).content.decode()

        assert "No time logged yet. Log your first hours with the form on this page" in content
        assert "No task is estimated yet." in content

    def test_query_count_does_not_grow_with_entries_and_tasks(
        self, admin_client, mission, teammate, django_assert_num_queries
    ):
        deliverable = DeliverableFactory(mission=mission)
        TaskFactory(mission=mission, deliverable=deliverable, assignee=teammate)
        TimeEntryFactory(mission=mission, user=teammate, deliverable=deliverable)
        admin_client.get(time_url(mission))  # warm-up
        with django_assert_num_queries(12) as few:
            admin_client.get(time_url(mission))

        for index in range(20):
            other = DeliverableFactory(mission=mission)
            TaskFactory(mission=mission, deliverable=other, assignee=teammate if index % 2 else mission.lead)
            MissionMemberFactory(mission=mission)
            TimeEntryFactory(
                mission=mission, user=teammate, deliverable=other, date=TODAY - dt.timedelta(days=index)
            )
        with django_assert_num_queries(len(few.captured_queries)):
            response = admin_client.get(time_url(mission))
        assert response.status_code == 200


class TestLog:
    def test_a_team_member_logs_time_and_comes_back_to_the_same_day(self, teammate_client, mission, teammate):
        deliverable = DeliverableFactory(mission=mission)
        task = TaskFactory(mission=mission, deliverable=deliverable)

        response = teammate_client.post(
            time_url(mission),
            log_data(date="2026-03-03", duration="1.75", activity="meeting", task=task.pk, note="Atelier"),
            follow=True,
        )

        assert response.redirect_chain == [(time_url(mission, date="2026-03-03"), 302)]
        assert "1.75 h logged on March 3, 2026." in response.content.decode()
        entry = TimeEntry.objects.get()
        assert (
            entry.user,
            entry.date,
            entry.hours,
            entry.activity,
            entry.task,
            entry.deliverable,
            entry.note,
        ) == (
            teammate,
            dt.date(2026, 3, 3),
            Decimal("1.75"),
            "meeting",
            task,
            deliverable,
            "Atelier",
        )

    def test_half_a_day_is_logged_as_hours_of_the_collective(self, teammate_client, mission):
        response = teammate_client.post(time_url(mission), log_data(duration="0.5", unit="days"), follow=True)

        assert "3.5 h logged on March 4, 2026." in response.content.decode()
        assert TimeEntry.objects.get().hours == Decimal("3.50")

    def test_a_french_decimal_comma_is_understood(self, teammate_client, mission):
        teammate_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"

        response = teammate_client.post(time_url(mission), log_data(duration="2,5"))

        assert response.status_code == 302
        assert TimeEntry.objects.get().hours == Decimal("2.5")

    @pytest.mark.parametrize(
        ("duration", "unit", "message"),
        [
            ("1.1", "hours", "Time is counted in quarter hours: enter for example 1 or 1.25."),
            ("25", "hours", "One entry cannot exceed 24 hours."),
            ("0", "hours", "Enter a time greater than zero."),
            ("abc", "hours", "Enter a number, for example 1.5 or 0.5."),
            ("0.1", "days", "0.1 day is 0.7 h at 7 h a day, which is not a whole number of quarter hours."),
        ],
    )
    def test_a_wrong_duration_is_explained_and_what_was_typed_is_kept(
        self, teammate_client, mission, duration, unit, message
    ):
        response = teammate_client.post(
            time_url(mission), log_data(duration=duration, unit=unit, note="Mon travail")
        )

        assert response.status_code == 200
        content = response.content.decode()
        assert message in content
        assert f'value="{duration}"' in content
        assert 'value="Mon travail"' in content
        assert re.search(rf'name="unit" value="{unit}"[^>]*checked', content)
        assert TimeEntry.objects.count() == 0

    def test_the_day_total_rule_is_shown_on_the_duration(self, teammate_client, mission, teammate):
        TimeEntryFactory(mission=mission, user=teammate, date=TODAY, hours=Decimal("23"))
        before = snapshot()

        response = teammate_client.post(time_url(mission), log_data(duration="1.5"))

        assert response.status_code == 200
        assert (
            "That would make 24.5 h on March 4, 2026, and a day has only 24 hours: 23 h are already logged that day."
            in response.content.decode()
        )
        assert snapshot() == before

    def test_a_deliverable_or_task_of_another_mission_is_refused(self, teammate_client, mission):
        other_mission = MissionFactory(collective=mission.collective)
        deliverable = DeliverableFactory(mission=other_mission)
        task = TaskFactory(mission=other_mission)

        response = teammate_client.post(
            time_url(mission), log_data(deliverable=deliverable.pk, task=task.pk, note="Ailleurs")
        )

        assert response.status_code == 200
        content = response.content.decode()
        assert "Choose a deliverable of this mission." in content
        assert "Choose a task of this mission." in content
        assert 'value="Ailleurs"' in content
        assert TimeEntry.objects.count() == 0

    def test_a_collective_member_outside_the_team_gets_403_and_nothing_is_logged(
        self, client, mission, member_membership
    ):
        client.force_login(member_membership.user)

        response = client.post(time_url(mission), log_data())

        assert response.status_code == 403
        assert TimeEntry.objects.count() == 0

    def test_an_admin_outside_the_team_cannot_log_time_either(self, client, mission, collective):
        admin = AdminMembershipFactory(collective=collective).user
        client.force_login(admin)

        response = client.post(time_url(mission), log_data())

        assert response.status_code == 403
        assert TimeEntry.objects.count() == 0


class TestEdit:
    def test_the_author_edits_their_entry(self, teammate_client, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=teammate, hours=Decimal("2"), note="Avant")

        page = teammate_client.get(edit_url(entry)).content.decode()
        response = teammate_client.post(
            edit_url(entry),
            log_data(duration="1", unit="days", note="Après", activity="project_management"),
            follow=True,
        )

        assert 'value="2"' in page
        assert 'value="Avant"' in page
        assert response.redirect_chain == [(time_url(mission), 302)]
        assert "The time entry was updated." in response.content.decode()
        entry.refresh_from_db()
        assert (entry.hours, entry.note, entry.activity, entry.user) == (
            Decimal("7"),
            "Après",
            "project_management",
            teammate,
        )

    def test_the_lead_edits_a_member_s_entry(self, admin_client, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=teammate, hours=Decimal("2"))

        response = admin_client.post(edit_url(entry), log_data(duration="3"))

        assert response.status_code == 302
        entry.refresh_from_db()
        assert (entry.hours, entry.user) == (Decimal("3"), teammate)

    def test_a_member_cannot_open_or_change_someone_else_s_entry(self, teammate_client, mission):
        entry = TimeEntryFactory(mission=mission, hours=Decimal("2"))
        before = snapshot()

        assert teammate_client.get(edit_url(entry)).status_code == 403
        assert teammate_client.post(edit_url(entry), log_data(duration="5")).status_code == 403
        assert teammate_client.post(delete_url(entry)).status_code == 403
        assert snapshot() == before

    def test_a_locked_entry_shows_its_lock_and_no_form(self, teammate_client, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=teammate, locked_at=NOW)

        content = teammate_client.get(edit_url(entry)).content.decode()

        assert "This entry was invoiced on March 4, 2026: it can no longer be changed or deleted." in content
        assert 'name="duration"' not in content

    def test_posting_on_a_locked_entry_changes_nothing(self, admin_client, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=teammate, locked_at=NOW, hours=Decimal("2"))
        before = snapshot()

        response = admin_client.post(edit_url(entry), log_data(duration="5", note="Essai"))

        assert response.status_code == 200
        content = response.content.decode()
        assert "This entry was locked on March 4, 2026 (invoiced): it can no longer be changed." in content
        assert 'value="Essai"' in content
        assert snapshot() == before

    def test_a_wrong_value_keeps_what_was_typed(self, teammate_client, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=teammate, hours=Decimal("2"))
        before = snapshot()

        response = teammate_client.post(edit_url(entry), log_data(duration="2.1", note="Corrigé"))

        content = response.content.decode()
        assert "Time is counted in quarter hours: enter for example 2 or 2.25." in content
        assert 'value="2.1"' in content
        assert 'value="Corrigé"' in content
        assert snapshot() == before


class TestDelete:
    def test_the_author_deletes_their_entry(self, teammate_client, mission, teammate):
        entry = TimeEntryFactory(mission=mission, user=teammate, hours=Decimal("2.5"))

        response = teammate_client.post(delete_url(entry), follow=True)

        assert response.redirect_chain == [(time_url(mission), 302)]
        assert "The entry of 2.5 h on March 4, 2026 was deleted." in response.content.decode()
        assert TimeEntry.objects.count() == 0

    def test_a_locked_entry_is_not_deleted(self, admin_client, mission):
        entry = TimeEntryFactory(mission=mission, locked_at=NOW)
        before = snapshot()

        response = admin_client.post(delete_url(entry), follow=True)

        assert "This entry was locked on March 4, 2026 (invoiced): it can no longer be deleted." in (
            response.content.decode()
        )
        assert snapshot() == before

    def test_get_is_not_allowed(self, admin_client, mission):
        entry = TimeEntryFactory(mission=mission)

        assert admin_client.get(delete_url(entry)).status_code == 405
        assert TimeEntry.objects.filter(pk=entry.pk).exists()


class TestIsolation:
    @pytest.fixture
    def b_entry(self):
        return TimeEntryFactory(mission=MissionFactory(), hours=Decimal("2"))

    def test_a_member_of_a_gets_404_on_b_s_time_page_and_entries(
        self, admin_client, collective, mission, b_entry
    ):
        b_mission = b_entry.mission
        before = snapshot()
        urls = [
            time_url(b_mission),
            edit_url(b_entry),
            delete_url(b_entry),
            # B's objects under A's address
            reverse("timesheets:mission", args=[collective.slug, b_mission.pk]),
            reverse("timesheets:entry_edit", args=[collective.slug, b_mission.pk, b_entry.pk]),
            reverse("timesheets:entry_delete", args=[collective.slug, b_mission.pk, b_entry.pk]),
            # B's entry under A's mission
            reverse("timesheets:entry_edit", args=[collective.slug, mission.pk, b_entry.pk]),
            reverse("timesheets:entry_delete", args=[collective.slug, mission.pk, b_entry.pk]),
        ]

        for url in urls:
            assert admin_client.get(url).status_code == 404, url
            assert admin_client.post(url, log_data(duration="9")).status_code == 404, url

        assert snapshot() == before

    def test_an_entry_of_another_mission_of_the_same_collective_is_a_404_under_this_one(
        self, admin_client, collective, mission
    ):
        entry = TimeEntryFactory(mission=MissionFactory(collective=collective))

        url = reverse("timesheets:entry_edit", args=[collective.slug, mission.pk, entry.pk])

        assert admin_client.get(url).status_code == 404

    def test_anonymous_visitors_are_sent_to_log_in(self, client, mission):
        entry = TimeEntryFactory(mission=mission)
        login = reverse("account_login")

        for url in (time_url(mission), edit_url(entry), delete_url(entry), reverse("timesheets:week")):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(login)
        assert client.post(time_url(mission), log_data()).status_code == 302
        assert TimeEntry.objects.count() == 1
