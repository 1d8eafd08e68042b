import pytest
import time_machine
from django.db import OperationalError, connection

from cordee.core.models import OutboundEmail

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_queue_and_version(client, settings):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["version"] == settings.VERSION
    assert body["queue"]["status"] == "ok"
    assert body["queue"]["backend"] in {"SqliteHuey", "RedisHuey"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_when_the_database_cannot_be_reached(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", unreachable)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"
    assert response.json()["status"] == "error"


def test_healthz_reports_the_outbox_backlog_and_its_oldest_email(client):
    with time_machine.travel("2026-12-03 10:00:00Z", tick=False):
        for index, state in enumerate(["pending", "sending", "sent", "failed"]):
            OutboundEmail.objects.create(
                idempotency_key=f"health:{index}",
                to_email="a@example.fr",
                subject="s",
                body_text="t",
                state=state,
            )
    with time_machine.travel("2026-12-03 10:05:00Z", tick=False):
        body = client.get("/healthz").json()
    assert body["outbox"] == {"status": "ok", "waiting": 2, "oldest_waiting_seconds": 300}
