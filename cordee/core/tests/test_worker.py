"""A real Huey consumer process delivers an email that a web request put in the outbox.

The queue is the one the settings choose: SQLite by default, Redis when REDIS_URL is set
(the PostgreSQL pass of .ci/run sets it).
"""

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from email import message_from_bytes, policy

import pytest
from django.conf import settings
from django.db import connection
from huey.contrib.djhuey import HUEY

from cordee.core.models import OutboundEmail


def database_url_for_subprocess() -> str:
    """The URL of the test database, which the worker process must share with the test."""
    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{os.path.abspath(database['NAME'])}"
    user = urllib.parse.quote(database["USER"] or "")
    password = urllib.parse.quote(database["PASSWORD"] or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{credentials}{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}/{database['NAME']}"


@pytest.fixture
def real_queue():
    """Switch the test process from immediate mode to the real queue, and empty it."""
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = True


def post_signup(base_url: str, email: str) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base_url}/accounts/signup/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "email": email,
            "full_name": "Nadia Benali",
            "password1": "un-mot-de-passe-solide-42",
        }
    ).encode()
    request = urllib.request.Request(f"{base_url}/accounts/signup/", data=data, headers={"Referer": base_url})
    return opener.open(request).status


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_delivers_an_email_enqueued_by_a_web_request(live_server, smtp_server, real_queue):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cordee.settings",
        "DATABASE_URL": database_url_for_subprocess(),
        "HUEY_IMMEDIATE": "0",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1", "--worker-type", "thread"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert post_signup(live_server.url, "nouvelle@example.fr") == 200
        row = OutboundEmail.objects.get(to_email="nouvelle@example.fr")
        assert row.state in {
            OutboundEmail.State.PENDING,
            OutboundEmail.State.SENDING,
            OutboundEmail.State.SENT,
        }

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            row.refresh_from_db()
            if row.state == OutboundEmail.State.SENT and smtp_server.handler.envelopes:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode(errors="replace")

    assert row.state == OutboundEmail.State.SENT, output
    assert row.attempts == 1
    assert [envelope.rcpt_tos for envelope in smtp_server.handler.envelopes] == [["nouvelle@example.fr"]]
    message = message_from_bytes(smtp_server.handler.envelopes[0].content, policy=policy.default)
    assert message["Subject"] == row.subject
    assert "cordee.core.tasks.deliver_email" in output
