# ruff: noqa: F811 - the fixtures imported from calls_fixtures are parameters of the tests
"""Delivery call pages: schedule with a preview, reschedule, cancel, download; rights and isolation."""

import datetime as dt

import pytest
from django.urls import reverse

from cordee.communication.models import DeliveryCall
from cordee.communication.services.calls import delivery_call_schedule
from cordee.communication.tests.calls_fixtures import (  # noqa: F401 - fixtures
    CALL_AT,
    PARIS,
    alice,
    bob,
    deliverable,
    english,
    frozen_now,
    lead,
    lead_client,
    member_client,
    mission,
    parse_both,
    teammate,
)
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory
from cordee.missions.tests.factories import ClientContactFactory, DeliverableFactory, MissionFactory

pytestmark = pytest.mark.django_db


def create_url(deliverable):
    mission = deliverable.mission
    return reverse("communication:call_create", args=[mission.collective.slug, mission.pk, deliverable.pk])


def call_url(name, call):
    return reverse(f"communication:{name}", args=[call.mission.collective.slug, call.mission_id, call.pk])


def detail_url(deliverable):
    mission = deliverable.mission
    return reverse("missions:deliverable_detail", args=[mission.collective.slug, mission.pk, deliverable.pk])


def form_data(alice, bob, lead, teammate, **overrides):
    data = {
        "start_date": "2026-03-10",
        "start_time": "14:00",
        "duration_minutes": "45",
        "video_link": "https://meet.example.com/abc-defg",
        "attendee_contacts": [alice.pk, bob.pk],
        "attendee_users": [lead.pk, teammate.pk],
        "action": "send",
    }
    data.update(overrides)
    return data


@pytest.fixture
def call(deliverable, lead, alice, bob, teammate):
    return delivery_call_schedule(
        deliverable=deliverable,
        by=lead,
        starts_at=CALL_AT,
        duration_minutes=45,
        video_link="https://meet.example.com/abc-defg",
        attendee_contacts=[alice, bob],
        attendee_users=[lead, teammate],
    )


class TestCreate:
    def test_the_form_invites_every_contact_and_the_team_on_the_announced_date(
        self, lead_client, deliverable, alice, bob, teammate, lead
    ):
        response = lead_client.get(create_url(deliverable))

        assert response.status_code == 200
        form = response.context["form"]
        assert set(form.initial["attendee_contacts"]) == {alice.pk, bob.pk}
        assert set(form.initial["attendee_users"]) == {lead.pk, teammate.pk}
        assert form.initial["start_date"] == dt.date(2026, 3, 20)
        assert form.initial["duration_minutes"] == 30
        content = response.content.decode()
        assert "Alice Durand" in content
        assert "Tom Baker" in content
        assert 'value="preview"' in content
        assert "<legend" in content

    def test_preview_shows_the_email_of_the_first_contact_and_creates_nothing(
        self, lead_client, deliverable, alice, bob, lead, teammate
    ):
        response = lead_client.post(
            create_url(deliverable), form_data(alice, bob, lead, teammate, action="preview")
        )

        assert response.status_code == 200
        preview = response.context["preview"]
        assert preview["recipient"].email == "alice@acme.fr"
        assert "10 mars 2026" in preview["subject"]
        assert "mardi 10 mars 2026" in preview["body"]
        assert "https://meet.example.com/abc-defg" in preview["body"]
        content = response.content.decode()
        assert "Preview of the email" in content
        assert 'value="https://meet.example.com/abc-defg"' in content  # the form keeps what was typed
        assert DeliveryCall.objects.count() == 0
        assert OutboundEmail.objects.count() == 0

    def test_send_schedules_the_call_and_sends_the_invitations(
        self, lead_client, deliverable, alice, bob, lead, teammate
    ):
        response = lead_client.post(
            create_url(deliverable), form_data(alice, bob, lead, teammate), follow=True
        )

        call = DeliveryCall.objects.get()
        assert call.starts_at == CALL_AT
        assert call.duration_minutes == 45
        assert response.redirect_chain == [(detail_url(deliverable) + "#calls", 302)]
        content = response.content.decode()
        assert "The delivery call is scheduled: the invitation was sent to 4 people." in content
        assert "Delivery calls" in content
        assert "Tuesday March 10, 2026" in content
        assert OutboundEmail.objects.filter(idempotency_key__startswith=f"call:{call.pk}:seq:0:").count() == 4

    def test_a_past_time_is_refused_with_the_form_kept(
        self, lead_client, deliverable, alice, bob, lead, teammate
    ):
        response = lead_client.post(
            create_url(deliverable),
            form_data(
                alice, bob, lead, teammate, start_date="2026-03-01", video_link="https://meet.example.com/x"
            ),
        )

        assert response.status_code == 200
        assert response.context["form"].errors["start_date"] == ["The call must start in the future."]
        content = response.content.decode()
        assert "The call must start in the future." in content
        assert 'value="2026-03-01"' in content
        assert 'value="https://meet.example.com/x"' in content
        assert DeliveryCall.objects.count() == 0
        assert OutboundEmail.objects.count() == 0

    def test_a_time_skipped_by_the_clocks_is_refused(
        self, lead_client, deliverable, alice, bob, lead, teammate
    ):
        response = lead_client.post(
            create_url(deliverable),
            form_data(alice, bob, lead, teammate, start_date="2026-03-29", start_time="02:30"),
        )

        assert response.context["form"].errors["start_time"] == [
            "02:30 does not exist on March 29, 2026: the clocks change that night."
        ]
        assert DeliveryCall.objects.count() == 0

    def test_without_any_client_contact_it_is_refused(
        self, lead_client, deliverable, alice, bob, lead, teammate
    ):
        data = form_data(alice, bob, lead, teammate)
        data.pop("attendee_contacts")

        response = lead_client.post(create_url(deliverable), data)

        assert response.context["form"].errors["attendee_contacts"] == [
            "Invite at least one contact of the client."
        ]
        assert 'value="45"' in response.content.decode()
        assert DeliveryCall.objects.count() == 0

    def test_a_contact_of_another_collective_in_the_post_is_refused(
        self, lead_client, deliverable, alice, bob, lead, teammate
    ):
        stranger = ClientContactFactory(email="eve@elsewhere.fr")

        response = lead_client.post(
            create_url(deliverable),
            form_data(alice, bob, lead, teammate, attendee_contacts=[alice.pk, stranger.pk]),
        )

        assert response.status_code == 200
        assert "attendee_contacts" in response.context["form"].errors
        assert DeliveryCall.objects.count() == 0
        assert OutboundEmail.objects.count() == 0

    def test_a_user_of_another_collective_in_the_post_is_refused(
        self, lead_client, deliverable, alice, bob, lead, teammate
    ):
        stranger = AdminMembershipFactory().user

        response = lead_client.post(
            create_url(deliverable),
            form_data(alice, bob, lead, teammate, attendee_users=[lead.pk, stranger.pk]),
        )

        assert "attendee_users" in response.context["form"].errors
        assert DeliveryCall.objects.count() == 0
        assert OutboundEmail.objects.count() == 0

    def test_a_team_member_who_is_not_the_lead_gets_403(
        self, member_client, deliverable, alice, bob, lead, teammate
    ):
        assert member_client.get(create_url(deliverable)).status_code == 403
        response = member_client.post(create_url(deliverable), form_data(alice, bob, lead, teammate))

        assert response.status_code == 403
        assert DeliveryCall.objects.count() == 0
        assert OutboundEmail.objects.count() == 0

    def test_without_client_contacts_the_page_says_what_to_do(self, lead_client, deliverable):
        response = lead_client.get(create_url(deliverable))

        assert "has no contact yet: add the people to invite on the client" in response.content.decode()


class TestEditAndCancel:
    def test_reschedule_keeps_the_uid_and_raises_the_sequence(
        self, lead_client, call, alice, bob, lead, teammate
    ):
        uid = call.calendar_uid
        response = lead_client.get(call_url("call_edit", call))
        assert response.context["form"].initial["start_time"] == dt.time(14, 0)

        response = lead_client.post(
            call_url("call_edit", call),
            form_data(alice, bob, lead, teammate, start_date="2026-03-11", start_time="09:30"),
            follow=True,
        )

        call.refresh_from_db()
        assert (call.calendar_uid, call.sequence) == (uid, 1)
        assert call.starts_at == dt.datetime(2026, 3, 11, 9, 30, tzinfo=PARIS)
        assert "The call is updated: 4 people got the new invitation." in response.content.decode()
        assert OutboundEmail.objects.filter(idempotency_key__startswith=f"call:{call.pk}:seq:1:").count() == 4

    def test_reschedule_preview_shows_the_previous_time(self, lead_client, call, alice, bob, lead, teammate):
        response = lead_client.post(
            call_url("call_edit", call),
            form_data(alice, bob, lead, teammate, start_date="2026-03-11", action="preview"),
        )

        assert "11 mars 2026" in response.context["preview"]["subject"]
        assert "mardi 10 mars 2026" in response.context["preview"]["body"]
        call.refresh_from_db()
        assert call.sequence == 0
        assert OutboundEmail.objects.count() == 4

    def test_saving_without_a_change_sends_nothing(self, lead_client, call, alice, bob, lead, teammate):
        response = lead_client.post(
            call_url("call_edit", call), form_data(alice, bob, lead, teammate), follow=True
        )

        assert "Nothing changed: no email was sent." in response.content.decode()
        assert OutboundEmail.objects.count() == 4

    def test_cancel(self, lead_client, call):
        response = lead_client.post(call_url("call_cancel", call), follow=True)

        call.refresh_from_db()
        assert call.cancelled_at is not None
        assert call.sequence == 1
        content = response.content.decode()
        assert "The call is cancelled: 4 people were told and it leaves their calendars." in content
        assert "Cancelled" in content
        assert OutboundEmail.objects.filter(idempotency_key__startswith=f"call:{call.pk}:seq:1:").count() == 4

    def test_cancel_needs_a_post(self, lead_client, call):
        assert lead_client.get(call_url("call_cancel", call)).status_code == 405
        assert DeliveryCall.objects.get().cancelled_at is None

    def test_a_cancelled_call_cannot_be_edited(self, lead_client, call):
        lead_client.post(call_url("call_cancel", call))

        response = lead_client.get(call_url("call_edit", call), follow=True)

        assert "This call was cancelled: schedule a new one instead." in response.content.decode()

    def test_a_team_member_cannot_edit_or_cancel(self, member_client, call, alice, bob, lead, teammate):
        assert member_client.get(call_url("call_edit", call)).status_code == 403
        assert (
            member_client.post(
                call_url("call_edit", call), form_data(alice, bob, lead, teammate, start_time="16:00")
            )
        ).status_code == 403
        assert member_client.post(call_url("call_cancel", call)).status_code == 403
        call.refresh_from_db()
        assert (call.sequence, call.starts_at, call.cancelled_at) == (0, CALL_AT, None)
        assert OutboundEmail.objects.count() == 4

    def test_a_team_member_sees_the_calls_but_not_the_actions(self, member_client, call, deliverable):
        content = member_client.get(detail_url(deliverable)).content.decode()

        assert "Tuesday March 10, 2026" in content
        assert call_url("call_ics", call) in content
        assert call_url("call_edit", call) not in content
        assert call_url("call_cancel", call) not in content
        assert create_url(deliverable) not in content


class TestDownload:
    def test_a_member_downloads_the_call(self, member_client, call):
        response = member_client.get(call_url("call_ics", call))

        assert response.status_code == 200
        # RFC 5545 §8.1: the body's METHOD is in the content type too
        assert response["Content-Type"] == "text/calendar; method=PUBLISH; charset=utf-8"
        assert response["Content-Disposition"] == f'attachment; filename="delivery-call-{call.pk}.ics"'
        cal, vcal = parse_both(response.content)
        assert str(cal["METHOD"]) == "PUBLISH"
        assert vcal.vevent.uid.value == call.calendar_uid

    def test_download_is_get_only(self, member_client, call):
        assert member_client.post(call_url("call_ics", call)).status_code == 405


class TestIsolation:
    def test_another_collective_s_calls_and_deliverables_are_404(self, client, call, deliverable):
        outsider = AdminMembershipFactory()
        client.force_login(outsider.user)
        mission = call.mission
        own = outsider.collective.slug
        urls = [
            create_url(deliverable),
            call_url("call_edit", call),
            call_url("call_ics", call),
            call_url("call_cancel", call),
            reverse("communication:calls", args=[mission.collective.slug, mission.pk]),
            # Smuggled under the outsider's own collective.
            reverse("communication:call_create", args=[own, mission.pk, deliverable.pk]),
            reverse("communication:call_edit", args=[own, mission.pk, call.pk]),
            reverse("communication:call_cancel", args=[own, mission.pk, call.pk]),
            reverse("communication:call_ics", args=[own, mission.pk, call.pk]),
        ]
        for url in urls:
            assert client.get(url).status_code == 404, url
            assert client.post(url).status_code == 404, url
        call.refresh_from_db()
        assert (call.sequence, call.cancelled_at) == (0, None)

    def test_a_call_of_another_mission_of_the_same_collective_is_404(self, lead_client, call, mission):
        other = MissionFactory(collective=mission.collective, lead=mission.lead)
        url = reverse("communication:call_edit", args=[mission.collective.slug, other.pk, call.pk])
        other_deliverable = DeliverableFactory(mission=other)
        create_on_wrong_mission = reverse(
            "communication:call_create", args=[mission.collective.slug, mission.pk, other_deliverable.pk]
        )

        assert lead_client.get(url).status_code == 404
        assert lead_client.post(url.replace("/edit/", "/cancel/")).status_code == 404
        assert lead_client.get(create_on_wrong_mission).status_code == 404
        assert DeliveryCall.objects.get().cancelled_at is None

    def test_anonymous_visitors_are_sent_to_log_in(self, client, call, deliverable):
        for url in (create_url(deliverable), call_url("call_edit", call), call_url("call_ics", call)):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("account_login"))


class TestQueries:
    def test_calls_page_count_does_not_grow(
        self, lead_client, mission, deliverable, alice, bob, lead, teammate, django_assert_num_queries
    ):
        def build(count):
            for index in range(count):
                delivery_call_schedule(
                    deliverable=DeliverableFactory(mission=mission),
                    by=lead,
                    starts_at=CALL_AT + dt.timedelta(days=index),
                    duration_minutes=30,
                    attendee_contacts=[alice, bob],
                    attendee_users=[lead, teammate],
                )

        url = reverse("communication:calls", args=[mission.collective.slug, mission.pk])
        build(2)
        lead_client.get(url)
        with django_assert_num_queries(8) as few:
            response = lead_client.get(url)
        assert response.status_code == 200
        build(20)
        with django_assert_num_queries(len(few.captured_queries)):
            response = lead_client.get(url)
        assert response.content.decode().count('<li class="call-item') == 22

    def test_deliverable_page_count_does_not_grow_with_calls(
        self, lead_client, deliverable, alice, lead, django_assert_num_queries
    ):
        def build(count):
            for index in range(count):
                delivery_call_schedule(
                    deliverable=deliverable,
                    by=lead,
                    starts_at=CALL_AT + dt.timedelta(hours=index),
                    duration_minutes=30,
                    attendee_contacts=[alice],
                )

        build(1)
        lead_client.get(detail_url(deliverable))
        with django_assert_num_queries(11):
            lead_client.get(detail_url(deliverable))
        build(10)
        with django_assert_num_queries(11):
            response = lead_client.get(detail_url(deliverable))
        assert response.content.decode().count('<li class="call-item') == 11


class TestEmailPreviewsPage:
    """The mission's page of client email previews shows the call invitations too (nothing is written)."""

    def preview(self, lead_client, mission, kind, contact):
        url = reverse("communication:preview", args=[mission.collective.slug, mission.pk])
        return lead_client.get(url, {"email": kind, "contact": contact.pk, "language": "en"})

    def test_the_next_call_s_invitation(self, lead_client, mission, call, alice):
        response = self.preview(lead_client, mission, "delivery_call", alice)

        content = response.content.decode()
        assert response.status_code == 200
        assert "Invitation: delivery call for “Maquettes”, March 10, 2026 at 2 p.m." in content
        assert "https://meet.example.com/abc-defg" in content
        assert OutboundEmail.objects.count() == 4

    def test_an_example_call_without_any(self, lead_client, mission, deliverable, alice):
        response = self.preview(lead_client, mission, "delivery_call", alice)

        assert (
            "Invitation: delivery call for “Maquettes”, March 20, 2026 at 10 a.m."
            in response.content.decode()
        )
        assert DeliveryCall.objects.count() == 0
        assert OutboundEmail.objects.count() == 0

    def test_the_weekly_call_invitation(self, lead_client, mission, alice):
        response = self.preview(lead_client, mission, "ritual_call", alice)

        assert (
            "Invitation: weekly call “Site vitrine”, every Monday at 9:30 a.m." in response.content.decode()
        )
        assert OutboundEmail.objects.count() == 0
