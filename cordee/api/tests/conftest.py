import pytest

from cordee.api.models import AccessToken
from cordee.api.services.tokens import access_token_create
from cordee.missions.tests.factories import MissionFactory


class ApiClient:
    """The Django test client speaking JSON with a bearer token."""

    def __init__(self, client, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **extra):
        return self.client.get(
            f"/api/v1{path}", headers={**self.headers, **extra.pop("headers", {})}, **extra
        )

    def post(self, path, data, **extra):
        return self.client.post(
            f"/api/v1{path}", data=data, content_type="application/json", headers=self.headers, **extra
        )

    def patch(self, path, data):
        return self.client.patch(
            f"/api/v1{path}", data=data, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def mission(db):
    return MissionFactory()


@pytest.fixture
def lead(mission):
    return mission.lead


def make_token(user, collective, scope=AccessToken.Scope.WRITE, *, billing=False):
    return access_token_create(
        by=user, collective_id=collective.pk, name="Tests", scope=scope, billing=billing
    )


@pytest.fixture
def write_api(client, mission, lead):
    _token, raw = make_token(lead, mission.collective)
    return ApiClient(client, raw)


@pytest.fixture
def read_api(client, mission, lead):
    _token, raw = make_token(lead, mission.collective, scope=AccessToken.Scope.READ)
    return ApiClient(client, raw)
