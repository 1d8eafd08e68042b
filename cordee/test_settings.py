"""Settings for the test suite: the same as production-like settings, with fast, local parts."""

import os
from pathlib import Path

os.environ.setdefault("HUEY_IMMEDIATE", "1")
# Links in emails are checked against this address, whatever PORT the shell exports.
os.environ.setdefault("BASE_URL", "http://127.0.0.1:8000")
# When a test switches immediate mode off (the real worker test), the queue is the tests' own.
os.environ.setdefault("HUEY_NAME", "cordee-test")
os.environ.setdefault("HUEY_FILE", str(Path(__file__).resolve().parent.parent / "var" / "huey-test.sqlite3"))

from cordee.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - keeps WhiteNoise quiet before collectstatic
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # SQLite has one writer: the tests that issue invoices from 20 threads at once queue behind a lock that
    # each holds for a PDF render; on a loaded machine the last one waits longer than production's 20 s.
    DATABASES["default"]["OPTIONS"]["timeout"] = 90  # noqa: F405
