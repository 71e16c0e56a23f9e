"""Settings, read from the environment only.

Every variable is listed in `.env.example`. With none set the app runs on a
laptop: SQLite, tasks executed eagerly in-process, mail printed to the console.
Production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    return default if value in (None, "") else [v.strip() for v in value.split(",") if v.strip()]


def env_secret(name: str, default: str | None = None) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name) or default


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_secret("SECRET_KEY", "dev-only-insecure-key" if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "helpdesk.apps.HelpdeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    # Drag to reorder statuses, fields and lists in the settings.
    "adminsortable2",
    "helpdesk",
    "accounts",
    "crm",
    "tickets",
    "conversations",
    "channels_inbound",
    "sla",
    "workflows",
    "routing",
    "webhooks",
    "knowledge",
    "api",
    "portal",
    "surveys",
    "library",
    "imports",
    "reports",
    "anymail",
]

MIDDLEWARE = [
    # Frame stack room for the whole request (CPython 3.11's chunk thrash).
    "helpdesk.headroom.HeadroomMiddleware",
    # /healthz and /readyz, before host checks and the HTTPS redirect.
    "helpdesk.health.HealthCheckMiddleware",
    # The request ID, on every log line and in X-Request-ID; one line per request.
    "helpdesk.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "helpdesk.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # /api/ only: request IDs, the per-caller rate limit, Idempotency-Key replay.
    "api.middleware.ApiMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # The hottest partials of the workspace (helpdesk/jinja.py), drawn from
        # Django templates by {% jinja %}: templates/jinja2/ and <app>/jinja2/<app>/.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "helpdesk.jinja.environment"},
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The laptop default serves several requests at once (runserver threads, the
    # browser tests' live server): WAL lets reads run beside a write, and writers
    # wait for each other instead of failing with "database is locked". Tests use
    # a file too, since in-memory shared-cache SQLite refuses concurrent access.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
# Behind PgBouncer in transaction pooling, a server-side cursor (QuerySet
# .iterator()) can outlive the transaction that owns its server connection,
# and a prepared statement belongs to a server connection the next
# transaction may not get. Nothing else needs the session: SET LOCAL only,
# no advisory locks.
PREPARED_STATEMENTS = False
if os.environ.get("DATABASE_POOLING") == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Connected to PostgreSQL itself, the key lookups every request and
    # message runs (helpdesk.prepared) are prepared statements: PostgreSQL
    # plans them once per connection. Planning was 40 % of a ticket page's
    # SQL time (issue 22). Nothing else is prepared (Django's default): a
    # plan made for no value in particular can be ruinous for a search.
    PREPARED_STATEMENTS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite ignores an index's INCLUDE columns; PostgreSQL, what we run on, uses them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user with a compiled query.
    "accounts.backends.UserBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tickets:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling: five wrong passwords for one username from one address lock
# that pair out for 15 minutes; a success resets the counter.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0) or None

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("ko", "한국어"),
    ("fi", "Suomi"),
    ("de", "Deutsch"),
    ("zh-hant", "繁體中文"),
    ("pl", "Polski"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as each locale writes them where Django's differ (ko, zh-Hant: zero-padded).
FORMAT_MODULE_PATH = ["helpdesk.formats"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Several machines: files (attachments, raw inbound mail, exports) live in
# S3-compatible object storage, private, streamed through the app's access
# checks; credentials from S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY or boto3's own
# chain (instance roles).
S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_expire": 300,
        },
    }

# Cache: Redis when configured (shared by every process), else per-process memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Celery: with no broker the tasks run eagerly in-process (laptop default).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task taken by a worker that died is handed out again after this long.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_IGNORE_RESULT = True
# Connections are recycled per task like per request (helpdesk/celery.py);
# Celery itself closes them only after this many tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE = {
    "recover-stale-imports": {
        "task": "imports.tasks.imports_recover_stale",
        "schedule": 60.0,
    },
    "send-stuck-outbound-email": {
        "task": "conversations.tasks.send_stuck_outbound_email",
        "schedule": 60.0,
    },
    "poll-imap-mailboxes": {
        "task": "channels_inbound.tasks.poll_imap_mailboxes",
        "schedule": 60.0,
    },
    "sweep-pending-inbound": {
        "task": "channels_inbound.tasks.sweep_pending_inbound",
        "schedule": 60.0,
    },
    "sweep-sla-deadlines": {
        "task": "sla.tasks.sweep_sla_deadlines",
        # Seconds between sweeps; tests shorten it.
        "schedule": float(env_int("SLA_SWEEP_SECONDS", 60)),
    },
    "resume-sla-changes": {
        "task": "sla.tasks.sla_changes_resume",
        "schedule": 300.0,
    },
    "sweep-inbound-payload-files": {
        "task": "channels_inbound.tasks.sweep_payload_files",
        "schedule": 3600.0,
    },
    "refresh-reports": {
        "task": "reports.tasks.refresh_reports",
        "schedule": 60.0,
    },
    "route-waiting-tickets": {
        "task": "routing.tasks.route_waiting_tickets",
        "schedule": 60.0,
    },
    "purge-chatbot-sessions": {
        "task": "channels_inbound.tasks.purge_chatbot_sessions",
        "schedule": 24 * 3600.0,
    },
    "run-waiting-rule-events": {
        "task": "workflows.tasks.run_waiting_rule_events",
        "schedule": 60.0,
    },
    "sweep-time-rules": {
        "task": "workflows.tasks.sweep_time_rules",
        "schedule": 60.0,
    },
    "send-due-webhook-deliveries": {
        "task": "webhooks.tasks.send_due_deliveries",
        "schedule": 30.0,
    },
    "purge-old-webhook-deliveries": {
        "task": "webhooks.tasks.purge_old_deliveries",
        "schedule": 24 * 3600.0,
    },
    "purge-portal-sign-in-links": {
        "task": "portal.tasks.purge_sign_in_links",
        "schedule": 24 * 3600.0,
    },
    "send-due-surveys": {
        "task": "surveys.tasks.send_due_surveys",
        "schedule": 60.0,
    },
    "purge-deleted-tickets": {
        "task": "tickets.tasks.purge_deleted_tickets",
        "schedule": 3600.0,
    },
    "purge-idempotency-keys": {
        "task": "api.tasks.purge_idempotent_requests",
        "schedule": 3600.0,
    },
    "purge-abandoned-uploads": {
        "task": "conversations.tasks.purge_abandoned_uploads",
        "schedule": 3600.0,
    },
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM", "helpdesk@localhost")
# ESPs (django-anymail): outbound through EMAIL_BACKEND, e.g.
# anymail.backends.mailgun.EmailBackend; inbound webhooks at
# /inbound/email/<mailgun|postmark|sendgrid|amazon_ses>/. Mailgun requests are checked by
# signature; Postmark and SendGrid by the basic auth in the webhook URL
# (WEBHOOK_SECRET "user:password"; several, comma-separated, while rotating).
ANYMAIL = {
    key: value
    for key, value in {
        "MAILGUN_API_KEY": env_secret("MAILGUN_API_KEY"),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env_secret("MAILGUN_WEBHOOK_SIGNING_KEY"),
        "POSTMARK_SERVER_TOKEN": env_secret("POSTMARK_SERVER_TOKEN"),
        "SENDGRID_API_KEY": env_secret("SENDGRID_API_KEY"),
        "WEBHOOK_SECRET": env_list("WEBHOOK_SECRET", []) or None,
    }.items()
    if value
}
# Amazon SES inbound comes through SNS (/inbound/email/amazon_ses/, with the
# basic auth of WEBHOOK_SECRET): the topics we accept (empty: any topic that
# knows the password) and where SNS certificates and confirmations may come from.
AMAZON_SNS_TOPIC_ARNS = env_list("AMAZON_SNS_TOPIC_ARNS", [])
AMAZON_SNS_ORIGIN = r"https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?"
# Mail servers whose Authentication-Results header we believe (their
# authserv-id, e.g. "mx.example.com"): a DMARC failure they record marks the
# sender as unverified, and such mail joins no existing ticket.
HELPDESK_TRUSTED_AUTHSERV_IDS = [a.lower() for a in env_list("TRUSTED_AUTHSERV_IDS", [])]
# Facebook Messenger: the app secret(s) that sign webhooks (two while
# rotating), the verify token of the subscription handshake, the Graph API.
MESSENGER_APP_SECRETS = env_list("MESSENGER_APP_SECRET", [])
MESSENGER_VERIFY_TOKEN = env_secret("MESSENGER_VERIFY_TOKEN", "")
MESSENGER_API_URL = os.environ.get("MESSENGER_API_URL", "https://graph.facebook.com/v21.0")
# Where links in notification emails point.
HELPDESK_BASE_URL = os.environ.get("HELPDESK_BASE_URL", "http://127.0.0.1:8000")
# The company as customers see it on the help center (issue 20): its name, a
# logo (a URL on this site, such as /static/logo.svg) and its colour, used for
# links and buttons (a dark text colour is chosen on a light brand colour).
HELPDESK_COMPANY_NAME = os.environ.get("HELPDESK_COMPANY_NAME", "Help desk")
HELPDESK_COMPANY_LOGO = os.environ.get("HELPDESK_COMPANY_LOGO", "")
HELPDESK_BRAND_COLOUR = os.environ.get("HELPDESK_BRAND_COLOUR", "#1d4ed8")
# The web form the help center's "Contact support" opens (its slug); empty:
# the first active web form.
HELPDESK_SUPPORT_FORM = os.environ.get("HELPDESK_SUPPORT_FORM", "")
# "Was this helpful?" answers per visitor address per minute (ten times that per hour).
HELPDESK_VOTE_RATE = env_int("HELP_VOTE_RATE_PER_MINUTE", 10)

# Security. Everything on by default once DEBUG is off.
SECURE = env_bool("SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE)
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Database sessions, read with a query compiled once per process.
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Strict CSP: scripts only from our origin with the request's nonce, no inline
# styles, no remote images, not frameable (RELIABILITY item 41).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Product settings that are not per-team data.
HELPDESK_LIST_PAGE_SIZE = 50
HELPDESK_TABLE_PAGE_SIZE = 50
# SLA event times are checked against PostgreSQL's clock (RELIABILITY 20).
HELPDESK_SLA_DATABASE_CLOCK = True
# Outgoing webhooks (issue 18). Private, loopback and link-local targets are
# refused unless this allows them (a receiver on the same network, tests).
HELPDESK_WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
HELPDESK_WEBHOOK_CONNECT_TIMEOUT = env_int("WEBHOOK_CONNECT_TIMEOUT", 5)
HELPDESK_WEBHOOK_READ_TIMEOUT = env_int("WEBHOOK_READ_TIMEOUT", 10)
# Seconds before each retry: 10 tries over about 23.7 hours, then it gives up.
HELPDESK_WEBHOOK_RETRY_SCHEDULE = (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800)
# Switched off (and the admins emailed) after this many failed tries in a row
# spanning at least this many hours, with no success between.
HELPDESK_WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 10)
HELPDESK_WEBHOOK_DISABLE_AFTER_HOURS = env_int("WEBHOOK_DISABLE_AFTER_HOURS", 20)
HELPDESK_WEBHOOK_LOG_DAYS = env_int("WEBHOOK_LOG_DAYS", 30)
# Custom views the help desk may hold in all (S27: the plan's limit).
HELPDESK_MAX_CUSTOM_VIEWS = env_int("MAX_CUSTOM_VIEWS", 50)
HELPDESK_ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 20) * 2**20
# Files of the shared document library (S18), uploaded once and sent as links.
HELPDESK_DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_MB", 100) * 2**20
# The largest file an admin may import (Settings → Import): 100,000 tickets
# with their messages fit in well under this.
HELPDESK_IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MB", 100) * 2**20
# A running import without a committed batch for this long lost its worker:
# it is resumed from its last batch, at most IMPORT_MAX_RESTARTS times.
HELPDESK_IMPORT_STALE_MINUTES = env_int("IMPORT_STALE_MINUTES", 10)
HELPDESK_IMPORT_MAX_RESTARTS = env_int("IMPORT_MAX_RESTARTS", 3)
HELPDESK_MESSAGE_MAX_BYTES = env_int("MESSAGE_ATTACHMENTS_MAX_MB", 25) * 2**20
# Inbound mail larger than this is kept raw and marked failed, not parsed.
HELPDESK_INBOUND_MAX_BYTES = env_int("INBOUND_MAX_MB", 40) * 2**20
# Files uploaded in the editor and never sent are removed after this long.
HELPDESK_UPLOAD_KEEP_HOURS = env_int("UPLOAD_KEEP_HOURS", 72)
# Uploads above this size stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2**20
# Request size limits are per endpoint (helpdesk.middleware): ESP webhooks carry
# whole emails as form fields; every other form stays under this.
DATA_UPLOAD_MAX_MEMORY_SIZE = None
HELPDESK_FORM_MAX_BYTES = 3 * 2**20
# Web form submissions per client address and minute (ten times that per hour).
HELPDESK_FORM_RATE = env_int("FORM_RATE_PER_MINUTE", 5)
# Chat messages per client address and minute (a conversation, or an office
# behind one address, writes more than forms do).
HELPDESK_CHAT_RATE = env_int("CHAT_RATE_PER_MINUTE", 30)
# Portal sign-in links asked for per client address and minute (ten times
# that per hour), and per email address and 15 minutes (four times that a day).
HELPDESK_PORTAL_LINKS_PER_IP = env_int("PORTAL_LINKS_PER_IP_MINUTE", 5)
HELPDESK_PORTAL_LINKS_PER_ADDRESS = env_int("PORTAL_LINKS_PER_ADDRESS", 3)

# REST API (issue 18): requests per caller (token, or session user) and minute,
# and how long the answer to a POST with an Idempotency-Key is kept for retries.
HELPDESK_API_RATE = env_int("API_RATE_PER_MINUTE", 600)
HELPDESK_API_IDEMPOTENCY_HOURS = env_int("API_IDEMPOTENCY_HOURS", 24)

# Logs (helpdesk/logs.py): one JSON object per line ("json", the default when
# DEBUG is off) or plain text ("text"); every line carries the request ID.
LOG_FORMAT = (os.environ.get("LOG_FORMAT") or ("text" if DEBUG else "json")).strip().lower()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "helpdesk.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "helpdesk.logs.JsonFormatter"},
        "text": {
            "()": "helpdesk.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
