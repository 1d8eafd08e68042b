import pytest

from cordee.core.tests.factories import UserFactory


@pytest.fixture
def user(db):
    return UserFactory(email="claire@example.fr", full_name="Claire Martin")


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client
