"""Settings for the demo project that the lessons drive.

Everything that differs between a laptop, CI and docker-compose comes from the environment;
the defaults match the classroom stack (`make lab`), which runs its own Redis on port 6390 so
that a Redis you already have on 6379 is never touched.
"""

import os
from pathlib import Path

from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

# A development-only key: this project is a teaching kit, never deploy it as it is.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-teaching-kit-only")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # the beat schedule in the database, edited in the admin (lesson 10): beat reads it when
    # run with CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
    "django_celery_beat",
    "calc",
    "comments",
    "gallery",
    "reports",
    "workflows",
    "playground",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "proj.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "proj.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DB_PATH", str(BASE_DIR / "db.sqlite3")),
        # the server, the worker, beat and the notebook all write to this one file. A writer
        # waits up to 20 s for another's transaction instead of failing "database is locked",
        # and a transaction takes the write lock when it begins (IMMEDIATE): one that read first
        # and wrote later could not wait, SQLite would refuse it at once
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# Uploaded photos and their thumbnails (the gallery). The development server serves them.
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media"))
MEDIA_URL = "/media/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------------------------
# Celery. proj/celery.py reads every setting below that starts with CELERY_ (namespace="CELERY"):
# CELERY_BROKER_URL here is broker_url in Celery's docs. A setting without the prefix is
# silently ignored.
# ---------------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6390/0")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6390/0")

# JSON, Celery's default since 4.0, spelled out: a worker never unpickles what somebody put on
# the queue.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE

# Report STARTED while a task runs, and keep its name, args and worker with the result.
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = 24 * 60 * 60  # seconds; becomes the TTL of celery-task-meta-<id>

# Fail fast. Out of the box, delay() blocks for about 19 s when Redis is down (the result
# backend retries 20 times, a second apart) and forever when Redis is frozen. In a lesson, a
# clear error now is worth more than a retry later. The price: a Redis that blips for a second
# fails those calls too. Production keeps a bounded retry instead (Celery's default publish
# policy: 3 retries, 0.2 s apart), and relies on the worker's own reconnect. Here:
# - the producer does not retry a publish,
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
# - the broker connection gives up on a dead or frozen server within a bound,
CELERY_BROKER_CONNECTION_TIMEOUT = 0.5
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 0,
    "socket_connect_timeout": 0.5,
    "socket_timeout": 2,
    "socket_keepalive": True,
}
# - and so does the result backend.
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 0.5
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0}}
# A worker still waits for the broker when it starts, and reconnects if it goes away.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# How long Redis keeps a message that a worker took but never acknowledged (a late-acked task
# whose whole worker died) before a worker gets it again: an hour, unless REDIS_VISIBILITY_TIMEOUT
# says otherwise (the tests of redelivery use a few seconds, and sweep for such messages often).
if os.environ.get("REDIS_VISIBILITY_TIMEOUT"):
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "visibility_timeout": float(os.environ["REDIS_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }

# Periodic tasks: what Celery beat sends, and when. crontab hours are in CELERY_TIMEZONE.
CELERY_BEAT_SCHEDULE = {
    "daily-report": {
        "task": "reports.tasks.make_daily_report",
        "schedule": crontab(hour=6, minute=0),  # every day at 06:00
    },
    "clear-expired-sessions": {
        "task": "reports.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=30),  # every day at 03:30
    },
}

# How long the demo's divide task sleeps, to stand in for slow work.
DIVIDE_SECONDS = float(os.environ.get("DIVIDE_SECONDS", "1"))

# The gallery: what an upload may be (gallery/validation.py), and the thumbnail's size.
GALLERY_MAX_UPLOAD_BYTES = 5 * 2**20
GALLERY_MAX_PIXELS = 25_000_000  # about 6000 × 4000: a phone's photo, not a decompression bomb
THUMBNAIL_SIZE = 200  # pixels: it fits in a square this size, and keeps its shape

# E-mail. There is no real SMTP server: comments/mail.py waits as long as one would, per
# message, then writes the message to a file in EMAIL_FILE_PATH, where you can read it.
EMAIL_BACKEND = "comments.mail.SlowFileBackend"
EMAIL_FILE_PATH = os.environ.get("DJANGO_EMAIL_DIR", str(BASE_DIR / "outbox"))
DEFAULT_FROM_EMAIL = "comments@teaching-kit.example"
SMTP_LATENCY_SECONDS = float(os.environ.get("SMTP_LATENCY_SECONDS", "0.3"))

# ---------------------------------------------------------------------------------------------
# Your own settings (lesson 03): local_settings.py in your workspace, if you wrote one, is read
# last, so what it sets wins. Its errors are yours to read: they name that file and its line.
# ---------------------------------------------------------------------------------------------
_LOCAL_SETTINGS = Path(os.environ.get("CLASSROOM_WORKSPACE", BASE_DIR.parent / "workspace"))
_LOCAL_SETTINGS = _LOCAL_SETTINGS / "local_settings.py"
if _LOCAL_SETTINGS.is_file():
    exec(compile(_LOCAL_SETTINGS.read_text(), str(_LOCAL_SETTINGS), "exec"))
