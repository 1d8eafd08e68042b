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
    "TRUSTED_PROXY_COUNT": "1",
    "DJANGO_SETTINGS_MODULE": "cordee.settings",
}


def manage(*arguments, environment):
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "HUEY_IMMEDIATE", "TRUSTED_PROXY_COUNT", "BASE_URL", "PORT"}
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


def test_check_deploy_warns_when_the_number_of_trusted_proxies_is_not_said():
    environment = {
        key: value for key, value in PRODUCTION_ENVIRONMENT.items() if key != "TRUSTED_PROXY_COUNT"
    }

    result = manage("check", "--deploy", "--fail-level", "WARNING", environment=environment)

    assert result.returncode == 1
    assert "(cordee.W001) TRUSTED_PROXY_COUNT is not set." in result.stderr
    assert "System check identified 1 issue" in result.stderr


def test_check_deploy_accepts_zero_trusted_proxies_when_said():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        environment={**PRODUCTION_ENVIRONMENT, "TRUSTED_PROXY_COUNT": "0"},
    )

    assert result.returncode == 0, result.stdout + result.stderr


def production_setting(*names):
    code = f"from django.conf import settings; print(repr([getattr(settings, n) for n in {names!r}]))"
    result = manage("shell", "-c", code, environment=PRODUCTION_ENVIRONMENT)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_language_cookie_is_secure_and_same_site_in_production():
    assert production_setting("LANGUAGE_COOKIE_SECURE", "LANGUAGE_COOKIE_SAMESITE") == "[True, 'Lax']"


def test_the_language_cookie_set_on_a_language_change_carries_same_site(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["samesite"] == "Lax"


def test_pages_carry_a_permissions_policy_that_switches_off_unused_features(client):
    response = client.get("/")

    policy = {part.split("=")[0]: part.split("=")[1] for part in response["Permissions-Policy"].split(", ")}
    assert policy["camera"] == "()"
    assert policy["geolocation"] == "()"
    assert policy["microphone"] == "()"
    assert policy["payment"] == "()"


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ("logos/a.png", 'inline; filename="a.png"'),
        ("photos/b.JPG", 'inline; filename="b.JPG"'),
        ("photos/c.webp", 'inline; filename="c.webp"'),
        ("files/d.pdf", 'attachment; filename="d.pdf"'),
        ("files/e.svg", 'attachment; filename="e.svg"'),
        ("files/f.html", 'attachment; filename="f.html"'),
    ],
)
def test_uploaded_files_are_cached_and_only_images_shown_inline(client, settings, name, disposition):
    path = settings.MEDIA_ROOT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"content")

    response = client.get(f"/media/{name}")

    assert response.status_code == 200
    assert response["Cache-Control"] == f"public, max-age={30 * 24 * 3600}"
    assert response["Content-Disposition"] == disposition
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_missing_upload_is_a_404(client):
    assert client.get("/media/logos/none.png").status_code == 404
