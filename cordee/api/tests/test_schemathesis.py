"""The API against its own OpenAPI description, over HTTP on a live server, with generated requests."""

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from cordee.api.management.commands.openapi import OPENAPI_FILE
from cordee.api.tests import billing_data
from cordee.api.tests.conftest import make_token
from cordee.missions.tests.factories import DeliverableFactory, MissionFactory, TaskFactory, TimeEntryFactory

SCHEMA = schemathesis.openapi.from_dict(json.loads(OPENAPI_FILE.read_text()))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture
def token(transactional_db):
    mission = MissionFactory()
    DeliverableFactory(mission=mission)
    TaskFactory.create_batch(3, mission=mission)
    TimeEntryFactory(mission=mission)
    billing_data.billing_rows(mission, count=2)
    return make_token(mission.lead, mission.collective, billing=True)[1]


def test_the_schema_lists_every_operation():
    assert len(OPERATIONS) == 28


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_generated_requests_never_break_the_api_or_its_schema(live_server, token, operation):
    headers = {"Authorization": f"Bearer {token}"}

    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=operation.as_strategy())
    def check(case):
        response = case.call(base_url=live_server.url, headers=headers)
        case.validate_response(response, checks=CHECKS)

    check()
