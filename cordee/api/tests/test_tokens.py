from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cordee.api.models import AccessToken
from cordee.api.services.tokens import access_token_authenticate, access_token_create, access_token_revoke
from cordee.api.tests.conftest import ApiClient, make_token
from cordee.core.tests.factories import CollectiveFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_token_is_shown_once_and_stored_as_a_hash(lead, mission):
    token, raw = make_token(lead, mission.collective)
    assert raw.startswith("cordee_") and len(raw) > 40
    assert raw not in token.token_hash
    assert token.prefix == raw[:13]
    assert access_token_authenticate(raw)[0].pk == token.pk
    assert access_token_authenticate(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None


def test_only_members_create_tokens_for_their_collective(lead):
    outsider_collective = CollectiveFactory()
    with pytest.raises(PermissionDenied):
        access_token_create(by=lead, collective_id=outsider_collective.pk, name="x", scope="read")
    assert AccessToken.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "scope", "field"), [("", "read", "name"), ("x" * 81, "read", "name"), ("ok", "admin", "scope")]
)
def test_bad_token_input_is_refused_and_nothing_is_created(lead, mission, name, scope, field):
    with pytest.raises(ValidationError) as refused:
        access_token_create(by=lead, collective_id=mission.collective.pk, name=name, scope=scope)
    assert field in refused.value.message_dict
    assert AccessToken.objects.count() == 0


def test_revoked_expired_and_departed_tokens_stop_working(client, lead, mission):
    token, raw = make_token(lead, mission.collective)
    api = ApiClient(client, raw)
    assert api.get("/collective").status_code == 200

    access_token_revoke(by=lead, token_id=token.pk)
    response = api.get("/collective")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401

    expiring, raw = access_token_create(
        by=lead,
        collective_id=mission.collective.pk,
        name="Short",
        scope="read",
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert ApiClient(client, raw).get("/collective").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert ApiClient(client, raw).get("/collective").status_code == 401

    member = MembershipFactory(collective=mission.collective)
    _token, raw = make_token(member.user, mission.collective)
    assert ApiClient(client, raw).get("/collective").status_code == 200
    member.delete()
    assert ApiClient(client, raw).get("/collective").status_code == 401


def test_a_member_cannot_revoke_another_members_token_but_an_admin_can(lead, mission):
    member = MembershipFactory(collective=mission.collective)
    token, _raw = make_token(member.user, mission.collective)
    other = MembershipFactory(collective=mission.collective)
    with pytest.raises(PermissionDenied):
        access_token_revoke(by=other.user, token_id=token.pk)
    assert AccessToken.objects.get(pk=token.pk).revoked_at is None
    access_token_revoke(by=lead, token_id=token.pk)  # the lead of the factory mission is an admin
    assert AccessToken.objects.get(pk=token.pk).revoked_at is not None


def test_last_use_is_recorded_at_most_once_a_minute(client, lead, mission):
    token, raw = make_token(lead, mission.collective)
    api = ApiClient(client, raw)
    with time_machine.travel("2026-12-03 10:00:00Z", tick=False):
        api.get("/collective")
    token.refresh_from_db()
    first = token.last_used_at
    with time_machine.travel("2026-12-03 10:00:30Z", tick=False):
        api.get("/collective")
    token.refresh_from_db()
    assert token.last_used_at == first
    with time_machine.travel("2026-12-03 10:01:30Z", tick=False):
        api.get("/collective")
    token.refresh_from_db()
    assert token.last_used_at > first


def test_the_tokens_page_creates_shows_once_and_revokes(client, lead, mission):
    client.force_login(lead)
    url = f"/c/{mission.collective.slug}/api/"
    response = client.post(url, {"name": "Comptabilité", "scope": "read", "lifetime": "30"})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw and raw.encode() in response.content
    token = AccessToken.objects.get()
    assert token.expires_at is not None and token.scope == "read"
    page = client.get(url)
    assert raw.encode() not in page.content
    assert token.prefix.encode() in page.content
    client.post(f"/c/{mission.collective.slug}/api/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_tokens_page_keeps_what_was_typed_on_error(client, lead, mission):
    client.force_login(lead)
    response = client.post(f"/c/{mission.collective.slug}/api/", {"name": "x" * 81, "scope": "read"})
    assert response.status_code == 200
    assert response.context["raw_token"] is None
    assert ("x" * 81).encode() in response.content
    assert AccessToken.objects.count() == 0


def test_a_plain_member_sees_only_their_tokens(client, mission):
    member = MembershipFactory(collective=mission.collective)
    make_token(mission.lead, mission.collective)
    mine, _raw = make_token(member.user, mission.collective)
    client.force_login(member.user)
    response = client.get(f"/c/{mission.collective.slug}/api/")
    assert [token.pk for token in response.context["tokens"]] == [mine.pk]
    other_user = UserFactory()
    client.force_login(other_user)
    assert client.get(f"/c/{mission.collective.slug}/api/").status_code == 404
