import pytest
from django.urls import reverse
from django.utils import timezone

from cordee.core.tests.factories import CollectiveFactory, UserFactory
from cordee.invitations.tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_searches_by_email_and_collective_name(superuser_client):
    studio = CollectiveFactory(name="Studio Lumière")
    InvitationFactory(collective=studio, email="lea@example.fr")
    InvitationFactory(email="karim@example.fr")
    url = reverse("admin:invitations_invitation_changelist")

    by_email = superuser_client.get(url, {"q": "lea@"}).content.decode()
    by_collective = superuser_client.get(url, {"q": "Lumière"}).content.decode()

    assert "lea@example.fr" in by_email
    assert "karim@example.fr" not in by_email
    assert "lea@example.fr" in by_collective
    assert "karim@example.fr" not in by_collective


def test_the_admin_filters_by_status(superuser_client):
    InvitationFactory(email="pending@example.fr")
    InvitationFactory(email="revoked@example.fr", revoked_at=timezone.now())
    url = reverse("admin:invitations_invitation_changelist")

    content = superuser_client.get(url, {"status": "revoked"}).content.decode()

    assert "revoked@example.fr" in content
    assert "pending@example.fr" not in content


def test_the_admin_never_shows_the_token_hash(superuser_client):
    invitation = InvitationFactory()

    response = superuser_client.get(reverse("admin:invitations_invitation_change", args=[invitation.pk]))

    assert response.status_code == 200
    assert invitation.token_hash not in response.content.decode()
