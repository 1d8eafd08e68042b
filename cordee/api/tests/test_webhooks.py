import socket
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from cordee.api.models import WebhookDelivery, WebhookEndpoint
from cordee.api.services.webhooks import (
    url_problem,
    webhook_deliver,
    webhook_endpoint_create,
    webhook_event_emit,
    webhooks_tick,
)
from cordee.api.tests.receiver import Receiver
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import MembershipFactory, OpportunityFactory
from cordee.missions.models import MissionEvent
from cordee.missions.tests.factories import MissionFactory

pytestmark = pytest.mark.django_db(transaction=True)

Event = WebhookEndpoint.Event


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def endpoint(mission, receiver):
    endpoint = webhook_endpoint_create(
        by=mission.lead,
        collective_id=mission.collective_id,
        url=receiver.url,
        events=[Event.MISSION_ACTIVATED, Event.OPPORTUNITY_RECEIVED],
    )
    receiver.secret = endpoint.secret
    return endpoint


def activated(mission) -> MissionEvent:
    return MissionEvent.objects.create(
        collective=mission.collective, mission=mission, kind=MissionEvent.Kind.ACTIVATED, summary="Activated"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://0.0.0.0/hook",
        "ftp://example.org/",
        "https://no-such-host.invalid/hook",
    ],
)
def test_production_refuses_insecure_private_and_unresolvable_urls(settings, mission, url):
    settings.WEBHOOKS_ALLOW_INSECURE = False
    assert url_problem(url) is not None
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_create(
            by=mission.lead, collective_id=mission.collective_id, url=url, events=["mission.activated"]
        )
    assert "url" in refused.value.message_dict
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
def test_production_accepts_a_public_https_address(settings):
    settings.WEBHOOKS_ALLOW_INSECURE = False
    assert url_problem("https://93.184.215.14/hook") is None


@pytest.mark.django_db
def test_a_host_that_now_resolves_to_a_private_address_is_not_called(
    settings, mission, monkeypatch, receiver
):
    endpoint = webhook_endpoint_create(
        by=mission.lead,
        collective_id=mission.collective_id,
        url="https://hooks.example.org/x",
        events=[Event.MISSION_ACTIVATED],
    )
    settings.WEBHOOKS_ALLOW_INSECURE = False
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: [(2, 1, 6, "", ("127.0.0.1", 443))])
    [delivery_id] = webhook_event_emit(
        collective_id=mission.collective_id, event_type=Event.MISSION_ACTIVATED, message_id="msg_1", data={}
    )
    assert webhook_deliver(delivery_id) == 30
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.state == WebhookDelivery.State.PENDING
    assert delivery.last_error == WebhookDelivery.ERROR_BLOCKED
    with translation.override("en"):
        assert delivery.error_text == "Not sent: the address is not a public https:// one."
    assert endpoint.pk == delivery.endpoint_id
    assert receiver.received == []


@pytest.mark.django_db
def test_the_connection_goes_to_the_address_that_was_checked(settings, mission, monkeypatch):
    """DNS rebinding: the host resolves to a public address for the check, then to a local one. The
    request must go to the checked address, never to the local server."""
    local = socket.create_server(("127.0.0.1", 0))
    local.settimeout(0.2)
    port = local.getsockname()[1]
    endpoint = webhook_endpoint_create(
        by=mission.lead,
        collective_id=mission.collective_id,
        url=f"https://hooks.example.org:{port}/x",
        events=[Event.MISSION_ACTIVATED],
    )
    settings.WEBHOOKS_ALLOW_INSECURE = False
    settings.WEBHOOKS_TIMEOUT_SECONDS = 1
    real_getaddrinfo = socket.getaddrinfo
    answers = []

    def rebinding_dns(host, *args, **kwargs):
        if host != "hooks.example.org":
            return real_getaddrinfo(host, *args, **kwargs)
        answers.append(host)
        address = "93.184.215.14" if len(answers) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    [delivery_id] = webhook_event_emit(
        collective_id=mission.collective_id, event_type=Event.MISSION_ACTIVATED, message_id="msg_2", data={}
    )
    webhook_deliver(delivery_id)
    with pytest.raises(TimeoutError):
        local.accept()
    local.close()
    assert answers == ["hooks.example.org"]
    assert WebhookDelivery.objects.get(pk=delivery_id).state != WebhookDelivery.State.DELIVERED
    assert endpoint.pk == WebhookDelivery.objects.get(pk=delivery_id).endpoint_id


@pytest.mark.django_db
def test_only_admins_manage_endpoints(mission):
    member = MembershipFactory(collective=mission.collective)
    with pytest.raises(PermissionDenied):
        webhook_endpoint_create(
            by=member.user,
            collective_id=mission.collective_id,
            url="https://a.example/x",
            events=["mission.activated"],
        )
    with pytest.raises(ValidationError):
        webhook_endpoint_create(
            by=mission.lead,
            collective_id=mission.collective_id,
            url="https://a.example/x",
            events=["nothing.happened"],
        )
    assert WebhookEndpoint.objects.count() == 0


def test_events_are_signed_and_delivered_once_to_subscribers_only(mission, endpoint, receiver):
    other = MissionFactory()
    activated(mission)
    activated(other)
    MissionEvent.objects.create(collective=mission.collective, mission=mission, kind=MissionEvent.Kind.PAUSED)
    OpportunityFactory(collective=mission.collective)

    assert len(receiver.received) == 2
    assert all(request["verified"] for request in receiver.received)
    types = sorted(request["verified"]["type"] for request in receiver.received)
    assert types == ["mission.activated", "opportunity.received"]
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= {
        name.lower() for name in receiver.received[0]["headers"]
    }
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {WebhookDelivery.State.DELIVERED}
    assert WebhookDelivery.objects.filter(collective=other.collective).count() == 0

    again = webhook_event_emit(
        collective_id=mission.collective_id,
        event_type=Event.MISSION_ACTIVATED,
        message_id=receiver.received[0]["headers"]["webhook-id"],
        data={},
    )
    assert again == []
    assert WebhookDelivery.objects.count() == 2


def test_a_tampered_signature_does_not_verify(endpoint, receiver, mission):
    receiver.secret = "whsec_" + "A" * 32
    activated(mission)
    assert [request["verified"] for request in receiver.received] == [False]


def test_a_receiver_down_for_a_while_gets_every_event_once_when_back(mission, endpoint, receiver, settings):
    receiver.status = 503
    events = [activated(mission) for _ in range(3)]
    assert WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, attempts=1).count() == 3
    receiver.received.clear()

    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        assert webhooks_tick() == 3  # still down: second attempts
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {2}
    receiver.status = 200
    receiver.received.clear()
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        assert webhooks_tick() == 3
        assert webhooks_tick() == 0
    assert sorted(receiver.ids) == sorted(f"msg_mission_event_{event.pk}" for event in events)
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {WebhookDelivery.State.DELIVERED}
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_repeated_failures_switch_the_endpoint_off_and_tell_the_admins(mission, endpoint, receiver, settings):
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 3
    receiver.status = 500
    for _ in range(3):
        activated(mission)
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.disabled_reason == WebhookEndpoint.DisabledReason.FAILURES
    with translation.override("en"):
        assert endpoint.disabled_text == "Switched off after 3 failed deliveries in a row."
    emails = OutboundEmail.objects.filter(idempotency_key__startswith=f"webhook:{endpoint.pk}:disabled")
    assert list(emails.values_list("to_email", flat=True)) == [mission.lead.email]
    assert any(endpoint.url in message.body for message in mail.outbox)
    received = len(receiver.received)
    activated(mission)
    assert len(receiver.received) == received  # switched off: nothing more is sent


def test_a_slow_receiver_times_out_without_blocking(mission, endpoint, receiver, settings):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1.5
    started = timezone.now()
    activated(mission)
    assert (timezone.now() - started).total_seconds() < 1.4
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.PENDING
    assert "Timeout" in delivery.last_error or "timed out" in delivery.last_error


def test_a_delivery_left_sending_by_a_killed_worker_is_taken_back_after_the_lease(
    mission, endpoint, receiver
):
    receiver.status = 503
    activated(mission)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookDelivery.State.SENDING, claimed_at=timezone.now()
    )
    receiver.status = 200
    assert webhooks_tick() == 0  # within the lease: someone may still be sending it
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        assert webhooks_tick() == 1
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert delivery.attempts == 2


def test_pages_list_log_resend_and_switch(client, mission, endpoint, receiver):
    activated(mission)
    client.force_login(mission.lead)
    base = f"/c/{mission.collective.slug}/api/webhooks/"
    page = client.get(f"{base}{endpoint.pk}/")
    assert page.status_code == 200
    assert endpoint.secret.encode() in page.content
    assert b"mission.activated" in page.content
    delivery = WebhookDelivery.objects.get()
    client.post(f"{base}{endpoint.pk}/deliveries/{delivery.pk}/resend/")
    assert receiver.ids == [delivery.message_id, delivery.message_id]
    client.post(f"{base}{endpoint.pk}/toggle/")
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    refused = client.post(base, {"url": "not a url", "events": ["mission.activated"], "description": "Zap"})
    assert refused.status_code == 200
    assert b"Zap" in refused.content
    assert WebhookEndpoint.objects.count() == 1
    member = MembershipFactory(collective=mission.collective)
    client.force_login(member.user)
    assert client.get(base).status_code == 403
