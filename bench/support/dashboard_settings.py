"""Settings of the server that bench/dashboard_load.py starts: Backlight's production settings
(PostgreSQL, Redis cache, DEBUG off, collected and compressed static files, secure cookies), with
one page more for the side-by-side baseline (dashboard_urls.py) and no HTTPS redirect (the
benchmark talks plain HTTP on the loopback)."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "dashboard_urls"
SECURE_SSL_REDIRECT = False
