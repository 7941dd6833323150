"""Developer settings: the embedded default of `make demo`."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Local only: a fixed key is fine for a laptop; production refuses to start without its own.
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="local-only-insecure-key-5b7e0f8c2d1a4e6b9c3f7a2d8e1b4c6f"
)
