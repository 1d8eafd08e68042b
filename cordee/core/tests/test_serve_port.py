"""`PORT=18801 make run`: the server listens on that port and the links in its emails point to it."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from email import message_from_bytes, policy

import pytest
from django.conf import settings

from cordee.core.tests.conftest import free_port
from cordee.core.tests.factories import AdminMembershipFactory
from cordee.core.tests.test_worker import database_url_for_subprocess


def environment_without(*names, **extra) -> dict:
    return {**{key: value for key, value in os.environ.items() if key not in names}, **extra}


def settings_in_a_new_process(environment: dict, *names: str) -> list[str]:
    code = "from django.conf import settings; " + "; ".join(f"print(settings.{name})" for name in names)
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_base_url_follows_port_unless_set():
    plain = environment_without("BASE_URL", "PORT", DJANGO_SETTINGS_MODULE="cordee.settings")

    assert settings_in_a_new_process({**plain, "PORT": "18801"}, "BASE_URL", "CSRF_TRUSTED_ORIGINS") == [
        "http://127.0.0.1:18801",
        "['http://127.0.0.1:18801']",
    ]
    assert settings_in_a_new_process(plain, "BASE_URL") == ["http://127.0.0.1:8000"]
    assert settings_in_a_new_process(
        {**plain, "PORT": "18801", "BASE_URL": "https://cordee.example.org/"}, "BASE_URL"
    ) == ["https://cordee.example.org"]


def wait_for(url: str, process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped"
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


@pytest.mark.django_db(transaction=True)
def test_the_links_of_an_email_point_to_the_server_that_runs(smtp_server, tmp_path):
    admin = AdminMembershipFactory(collective__is_published=True)
    port = free_port()
    environment = environment_without(
        "BASE_URL",
        DJANGO_SETTINGS_MODULE="cordee.settings",
        DATABASE_URL=database_url_for_subprocess(),
        PORT=str(port),
        HUEY_IMMEDIATE="0",
        HUEY_NAME=f"cordee-serve-test-{port}",
        HUEY_FILE=str(tmp_path / "huey.sqlite3"),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        page = f"{base}/c/{admin.collective.slug}/"
        wait_for(page, server)
        # When: a visitor proposes a project on the public page (the admins get an email with its link)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        html = opener.open(page).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        form = {
            "csrfmiddlewaretoken": token,
            "contact_name": "Nadia Benali",
            "contact_email": "nadia@example.fr",
            "need": "Un site pour notre librairie.",
            "budget": "unknown",
        }
        request = urllib.request.Request(
            page, data=urllib.parse.urlencode(form).encode(), headers={"Referer": page}
        )
        assert opener.open(request).status == 200
        deadline = time.monotonic() + 45
        while not smtp_server.handler.envelopes and time.monotonic() < deadline:
            time.sleep(0.3)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode(errors="replace")

    assert smtp_server.handler.envelopes, output
    message = message_from_bytes(smtp_server.handler.envelopes[0].content, policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(r"https?://[^\s\"'<>)]+", text)
    assert links
    assert all(link.startswith(f"{base}/") for link in links), links
