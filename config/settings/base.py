"""Settings shared by every environment. Everything comes from the environment.

With nothing set, Backlight runs embedded: SQLite under var/, Celery tasks executed in-process,
a local-memory cache. DATABASE_URL switches to PostgreSQL; REDIS_URL switches Celery and the cache
to Redis. The same code runs on both.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env.str("BACKLIGHT_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

TIME_ZONE = env.str("BACKLIGHT_TIME_ZONE", default="UTC")
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------------------------
# Apps
# ---------------------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
]
# Ordered from the ground floor up: an app may use only the apps listed before it.
LOCAL_APPS = [
    "insights",
    "touchpoints",
    "metrics",
    "roadmap",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.LoginRequiredForPagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes goes last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.navigation",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'backlight.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions and a busy timeout keep the embedded mode free of "database is
    # locked" errors when the dev server and in-process tasks write at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------------------------
# Redis: Celery broker, result store and cache — or the embedded fallbacks
# ---------------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "backlight",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker the embedded default runs every task in-process, at the call.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# An in-process task that fails records its failure on its run (an import job, a model run) like a
# worker would, instead of turning the page that queued it into an error page. Tests propagate.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only after it finished, and handed back to the broker if its worker
# dies; with one prefetched message per process a lost worker strands at most one task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis re-delivers an unacknowledged message after this long; it must exceed the hard limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60}
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True

# One queue per kind of work, so each can get its own workers on its own machines.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_QUEUE_NAMES = ("default", "ingest", "nlp", "ml")

# The beat schedule lives here, in one place.
CELERY_BEAT_SCHEDULE = {
    "reap-stale-runs": {
        "task": "insights.tasks.stale_runs_reap",
        "schedule": timedelta(minutes=5),
    },
    "resume-imports": {
        "task": "insights.tasks.import_jobs_resume",
        "schedule": timedelta(minutes=1),
    },
    "purge-idempotency-keys": {
        "task": "insights.tasks.idempotency_keys_purge",
        "schedule": timedelta(hours=1),
    },
    # The full re-cluster, nightly; new feedback is themed as it arrives in between.
    "analyze-feedback-nightly": {
        "task": "insights.tasks.analysis_nightly",
        "schedule": crontab(hour=2, minute=30),
    },
    # Churn: retrain and rescore every night (after the analysis, before the metric snapshots),
    # and soon after new feedback, usage, accounts or a finished import arrive.
    "churn-nightly": {
        "task": "insights.tasks.churn_nightly",
        "schedule": crontab(hour=3, minute=0),
    },
    "churn-refresh": {
        "task": "insights.tasks.churn_refresh",
        "schedule": timedelta(minutes=15),
    },
    # Reminders to engineers behind their touchpoint goal and digests to team leads, weekly.
    "touchpoint-reminders-weekly": {
        "task": "touchpoints.tasks.touchpoint_reminders_send",
        "schedule": crontab(hour=8, minute=0, day_of_week=1),
    },
    # Metric snapshots for the dashboards: recomputed when the data changed (checked every
    # 5 minutes, so an import shows within minutes), and in full every night.
    "metric-snapshots-refresh": {
        "task": "metrics.tasks.metric_snapshots_refresh",
        "schedule": timedelta(minutes=5),
    },
    "metric-snapshots-nightly": {
        "task": "metrics.tasks.metric_snapshots_nightly",
        "schedule": crontab(hour=3, minute=15),
    },
    # The executive digest (opted-in report readers), Monday mornings after the nightly snapshots.
    "executive-digest-weekly": {
        "task": "metrics.digest.executive_digest_weekly",
        "schedule": crontab(hour=7, minute=0, day_of_week=1),
    },
    # Impact reviews of shipped items that fell due, daily after the nightly analysis (fresh
    # themes and sentiment) and churn scoring.
    "impact-reviews-daily": {
        "task": "roadmap.tasks.impact_reviews_measure_due",
        "schedule": crontab(hour=4, minute=0),
    },
    # Sharing (roadmap/sharing/): webhook deliveries due for another attempt, every minute;
    # alerts on emerging pain points hourly (the themes' figures change with each analysis);
    # the weekly digest on Monday mornings, after the nightly analysis and snapshots.
    "webhook-deliveries-resend": {
        "task": "roadmap.sharing.tasks.webhook_deliveries_resend",
        "schedule": timedelta(minutes=1),
    },
    "emerging-alerts-hourly": {
        "task": "roadmap.sharing.tasks.emerging_alerts_send",
        "schedule": crontab(minute=20),
    },
    "weekly-digests": {
        "task": "roadmap.sharing.tasks.weekly_digests_send",
        "schedule": crontab(hour=8, minute=30, day_of_week=1),
    },
}
# A run still RUNNING this long after it started is taken as lost and failed by the reaper.
BACKLIGHT_RUN_STALE_AFTER = timedelta(
    seconds=env.int("BACKLIGHT_RUN_STALE_AFTER_SECONDS", default=CELERY_TASK_TIME_LIMIT + 10 * 60)
)

# ---------------------------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection: lock a username from one address after this many failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# ---------------------------------------------------------------------------------------------
# Static and media files
# ---------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "config.finders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# ---------------------------------------------------------------------------------------------
# REST framework
# ---------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call then gets 401 with a WWW-Authenticate challenge.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Backlight API",
    "DESCRIPTION": "Customer signals in, customer-back decisions out.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# ---------------------------------------------------------------------------------------------
# Email, security, logging
# ---------------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Backlight <backlight@localhost>")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

# ---------------------------------------------------------------------------------------------
# Imports: limits on what an uploaded file may be (documented in README "Imports")
# ---------------------------------------------------------------------------------------------
BACKLIGHT_IMPORT_MAX_BYTES = env.int("BACKLIGHT_IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
BACKLIGHT_IMPORT_MAX_ROWS = env.int("BACKLIGHT_IMPORT_MAX_ROWS", default=1_000_000)
BACKLIGHT_IMPORT_MAX_COLUMNS = env.int("BACKLIGHT_IMPORT_MAX_COLUMNS", default=500)
BACKLIGHT_IMPORT_MAX_CELL_CHARS = env.int("BACKLIGHT_IMPORT_MAX_CELL_CHARS", default=100_000)
# XLSX is a zip: refuse before parsing when it would inflate past this, or by more than this ratio.
BACKLIGHT_IMPORT_XLSX_MAX_UNCOMPRESSED = env.int(
    "BACKLIGHT_IMPORT_XLSX_MAX_UNCOMPRESSED", default=1024 * 1024 * 1024
)
BACKLIGHT_IMPORT_XLSX_MAX_RATIO = env.int("BACKLIGHT_IMPORT_XLSX_MAX_RATIO", default=100)
# Rows per committed chunk: big enough for COPY to pay off, small enough that a resumed job
# redoes little and the progress bar moves several times a second.
BACKLIGHT_IMPORT_CHUNK_ROWS = env.int("BACKLIGHT_IMPORT_CHUNK_ROWS", default=5_000)
# A running import that has not committed a chunk for this long is taken as lost and resumed.
BACKLIGHT_IMPORT_STALE_AFTER = timedelta(
    seconds=env.int("BACKLIGHT_IMPORT_STALE_AFTER_SECONDS", default=120)
)

# Where people reach Backlight: the links in emails (touchpoint reminders, digests) start here.
BACKLIGHT_SITE_URL = env.str("BACKLIGHT_SITE_URL", default="http://127.0.0.1:8000")
# Hosts that outbound webhooks may reach although the SSRF rules refuse them (private, loopback,
# plain http): IP addresses or networks ("127.0.0.1", "10.20.0.0/16") or exact host names,
# comma-separated. Empty by default; for tests and on-premise receivers (README "Sharing").
BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = env.list("BACKLIGHT_WEBHOOK_ALLOWED_HOSTS", default=[])

# ---------------------------------------------------------------------------------------------
# Insights engine (insights/services/analysis.py, insights/ml/)
# ---------------------------------------------------------------------------------------------
# Impact score weights of the pain-point ranking, over the defaults in insights/ml/ranking.py
# (volume .20, trend .10, negativity .15, NPS impact .20, ARR .20, churn risk .15). JSON in the
# environment, e.g. '{"churn_risk": 0}' to rank without the churn model.
BACKLIGHT_RANKING_WEIGHTS = env.json("BACKLIGHT_RANKING_WEIGHTS", default={})
# A finished import requests a full analysis, and feedback posted to the API is themed as it
# arrives — on real workers. In the embedded default (tasks run in-process) the pages' "Analyse
# now" button and `manage.py analyze_feedback` do it, so an upload does not wait for the models.
BACKLIGHT_ANALYZE_ON_ARRIVAL = env.bool(
    "BACKLIGHT_ANALYZE_ON_ARRIVAL", default=not CELERY_TASK_ALWAYS_EAGER
)
# Feedback analysed (redacted, embedded, scored) per committed batch of an analysis run.
BACKLIGHT_ANALYSIS_BATCH = env.int("BACKLIGHT_ANALYSIS_BATCH", default=2_000)
# A cluster of the feedback that fit no theme joins an existing theme rather than becoming a new
# one when their centroids are at least this similar (insights.ml.anchoring).
BACKLIGHT_THEME_MATCH_SIMILARITY = env.float("BACKLIGHT_THEME_MATCH_SIMILARITY", default=0.80)
# Feedback themed on arrival that fits no theme gathers; at this many since the last full run, a
# full run is requested to look for the new topic (drift).
BACKLIGHT_THEME_DRIFT_POOL = env.int("BACKLIGHT_THEME_DRIFT_POOL", default=50)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
