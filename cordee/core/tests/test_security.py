import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

PRODUCTION_ENVIRONMENT = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "cordee.example.org",
    "BASE_URL": "https://cordee.example.org",
    "DJANGO_SETTINGS_MODULE": "cordee.settings",
}


def manage(*arguments, environment):
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "HUEY_IMMEDIATE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env={**clean, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_in_production_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING", environment=PRODUCTION_ENVIRONMENT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    environment = {**PRODUCTION_ENVIRONMENT, "SECRET_KEY": ""}
    result = manage("check", environment=environment)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_pages_carry_a_content_security_policy_without_inline_scripts(client):
    response = client.get("/")

    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_an_inline_script():
    """The CSP forbids inline scripts: a template with one would break in production."""
    offenders = [
        f"{template}: {tag}"
        for template in settings.BASE_DIR.joinpath("cordee").rglob("*.html")
        for tag in re.findall(r"<script\b[^>]*>", template.read_text())
        if "src=" not in tag
    ]
    assert offenders == []
