"""Cordée settings: one file, read from environment variables with safe local defaults."""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

VERSION = "0.1.0"

DEBUG = env.bool("DEBUG", default=True)
# A development key is only acceptable while DEBUG is on; production must provide its own.
SECRET_KEY = env.str("SECRET_KEY", default="") or (
    "insecure-local-development-key-do-not-use-in-production" if DEBUG else ""
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# Links in emails and calendar files point to the server that runs: `PORT=18801 make run` serves and links on
# 18801 unless BASE_URL says otherwise.
PORT = env.int("PORT", default=8000)
BASE_URL = env.str("BASE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[BASE_URL])

INSTALLED_APPS = [
    "cordee.core.admin_site.HistoryKeepingAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "huey.contrib.djhuey",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "cordee.core",
    "cordee.accounts",
    "cordee.collectives",
    "cordee.invitations",
    "cordee.opportunities",
    "cordee.public",
    "cordee.clients",
    "cordee.missions",
    "cordee.timesheets",
    "cordee.communication",
    "cordee.portal",
    "cordee.feedback",
    "cordee.api",
    "cordee.billing",
    "cordee.workspace",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "cordee.urls"
WSGI_APPLICATION = "cordee.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cordee" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cordee.collectives.context_processors.navigation",
            ],
        },
    },
]

# Database: embedded SQLite under var/ by default, PostgreSQL through DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'cordee.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory: end-to-end tests and the worker process share the test database.
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DB_NAME", default=str(VAR_DIR / "test.sqlite3"))}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Background work: Huey on SQLite by default, on Redis when REDIS_URL is set.
HUEY_IMMEDIATE = env.bool("HUEY_IMMEDIATE", default=False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env.str("HUEY_NAME", default="cordee"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "cordee",
        "filename": env.str("HUEY_FILE", default=str(VAR_DIR / "huey.sqlite3")),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "cordee.accounts.backends.ModelBackend",
    "cordee.accounts.backends.AuthenticationBackend",
]
# The session lives in the cache (Redis in production) and is written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "collectives:home"
# A new account goes on with the set-up thread: its collective's creation (an invitation link's `next` wins).
ACCOUNT_SIGNUP_REDIRECT_URL = "collectives:create"

# django-allauth: email + password, no username, mandatory email verification.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "cordee.accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "cordee.accounts.forms.SignupExtraForm"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "5/h/ip,3/h/key",
    "confirm_email": "3/3m/key",
}
# Security notices (password changed, email changed, two-factor turned on or off) go through the outbox.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if BASE_URL.startswith("https") else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Cordée"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "cordee" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 5_242_880

# Email: console by default, SMTP when EMAIL_URL (smtp://user:pass@host:port) or EMAIL_HOST is set.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "cordee.core.mail.ConsoleSummaryBackend"
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Cordée <noreply@cordee.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Domain for the generic sender identities of collectives (feedback@, noreply@).
EMAIL_SENDER_DOMAIN = env.str("EMAIL_SENDER_DOMAIN", default="cordee.localhost")
OUTBOX_MAX_ATTEMPTS = 6
# A queued delivery or a claim older than this is taken over by the outbox tick (its worker died).
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=180)
# Attachment files of emails whose transaction rolled back are deleted once their day of writing is this
# many days behind (no transaction lasts that long); the daily sweep looks that many days further back.
OUTBOX_ATTACHMENT_GRACE_DAYS = 1
OUTBOX_ATTACHMENT_SWEEP_DAYS = 7
# Periodic job locks last most of their job's period; this caps every lease (0: no cap), e.g. for a
# deployment that runs the ticks more often or a test that cannot wait minutes.
PERIODIC_LOCK_MAX_LEASE_SECONDS = env.int("PERIODIC_LOCK_MAX_LEASE_SECONDS", default=0)

# Security. Behind a TLS proxy in production.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Browser features no page of Cordée uses, switched off for every page and anything it embeds.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
# Uploaded files (served by cordee/core/views.py media): how long browsers and proxies may keep them.
MEDIA_CACHE_SECONDS = 30 * 24 * 3600
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Behind a reverse proxy, how many X-Forwarded-For hops to trust for the client's address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Production must say it (0 included): a system check warns otherwise (cordee/core/checks.py).
TRUSTED_PROXY_COUNT_SET = "TRUSTED_PROXY_COUNT" in env.ENVIRON
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# Spam protection on the public proposal form.
PROPOSAL_RATE_LIMIT = env.int("PROPOSAL_RATE_LIMIT", default=5)  # per IP per hour
INVITATION_VALIDITY_DAYS = 14
# Client portal: a magic link works once within this many days; the session it opens lasts 30 days.
PORTAL_LINK_VALIDITY_DAYS = env.int("PORTAL_LINK_VALIDITY_DAYS", default=7)
PORTAL_SESSION_DAYS = 30
# Satisfaction surveys: a round's answers can be given or changed this many days after sending.
SURVEY_OPEN_DAYS = env.int("SURVEY_OPEN_DAYS", default=10)
LOGO_MAX_BYTES = 1_048_576

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # The Huey consumer installs its own handler; propagating would print every line twice.
    "loggers": {
        "huey": {"handlers": [], "propagate": False, "level": "INFO"},
        # WeasyPrint logs each rendering step at INFO; only its warnings matter.
        "weasyprint": {"level": "WARNING"},
        # factur-x logs each XSD check and PDF it makes at INFO; only its warnings matter.
        "factur-x": {"level": "WARNING"},
        # pikepdf announces its logger bridge at INFO in every process that opens a PDF.
        "pikepdf": {"level": "WARNING"},
    },
}

# The demo data that `make run` creates on an empty database.
DEMO_EMAIL = "claire@demo.cordee.localhost"
DEMO_PASSWORD = "cordee-demo-2026"
DEMO_SLUG = "atelier-rive-gauche"

# REST API: requests per minute and per token.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)

# Webhooks: production accepts only https endpoints on public addresses; local development may use
# http://127.0.0.1 to try a receiver.
WEBHOOKS_ALLOW_INSECURE = env.bool("WEBHOOKS_ALLOW_INSECURE", default=DEBUG)
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=8)
WEBHOOKS_DISABLE_AFTER_FAILURES = env.int("WEBHOOKS_DISABLE_AFTER_FAILURES", default=15)
WEBHOOKS_LEASE_SECONDS = env.int("WEBHOOKS_LEASE_SECONDS", default=120)

# Uploaded files on S3-compatible object storage (django-storages) when S3_BUCKET is set.
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "custom_domain": env.str("S3_CUSTOM_DOMAIN", default="") or None,
            "querystring_auth": env.bool("S3_SIGNED_URLS", default=True),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
