"""Settings for pytest. DATABASE_URL and REDIS_URL, when set, still decide the backends."""

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, env

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="test-only-insecure-key-0c9b8a7d6e5f4a3b2c1d")
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks in-process; the integration tests start a real worker on REDIS_URL.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Tests that want the analysis after an import or an API post turn it on themselves.
BACKLIGHT_ANALYZE_ON_ARRIVAL = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
