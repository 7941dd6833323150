# Backlight's production image: gunicorn for the web, the same image for Celery workers and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    BACKLIGHT_VAR_DIR=/app/var

WORKDIR /app

# Dependencies first, pinned by the constraints file, so a code change reuses this layer. The
# project runs from /app rather than site-packages: settings find templates/ and static/ beside it.
# torch's CPU build (the pinned 2.13.0+cpu) is published on PyTorch's own index, not on PyPI.
COPY pyproject.toml ./
COPY requirements/constraints.txt requirements/constraints.txt
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --extra-index-url https://download.pytorch.org/whl/cpu \
        -c requirements/constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Static files are collected into the image; the key only satisfies the settings at build time.
RUN DJANGO_SETTINGS_MODULE=config.settings.production \
    DJANGO_SECRET_KEY=collectstatic-build-only-not-a-secret \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/build-only.sqlite3 \
    python manage.py collectstatic --noinput

# Media (uploaded imports) is a volume shared by web and workers; it inherits this ownership.
RUN useradd --system --create-home --uid 10001 backlight \
    && mkdir -p /app/var/media \
    && chown -R backlight:backlight /app/var
USER backlight

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
