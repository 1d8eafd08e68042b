import json

import pytest

from cordee.api.management.commands.openapi import OPENAPI_FILE, openapi_text

pytestmark = pytest.mark.django_db


def test_the_committed_openapi_file_is_the_served_one(client):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert json.loads(OPENAPI_FILE.read_text()) == served.json(), (
        "docs/openapi.json is stale: run `python manage.py openapi` and commit it"
    )
    assert OPENAPI_FILE.read_text() == openapi_text()


def test_every_operation_documents_its_problems_and_needs_a_token(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"401", "403", "404", "422", "429"} <= set(operation["responses"]), (method, path)
            assert operation.get("security"), (method, path)
