import pytest

from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory


@pytest.fixture
def admin_membership(db):
    return AdminMembershipFactory()


@pytest.fixture
def collective(admin_membership):
    return admin_membership.collective


@pytest.fixture
def admin_user(admin_membership):
    return admin_membership.user


@pytest.fixture
def member_membership(collective):
    return MembershipFactory(collective=collective)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client
