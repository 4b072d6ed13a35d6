import os

from celery import Celery

# Set the default Django settings module for the 'celery' program.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")

app = Celery("proj")

# Read every setting that starts with CELERY_ from Django's settings:
# CELERY_BROKER_URL becomes broker_url, CELERY_RESULT_BACKEND becomes result_backend, ...
app.config_from_object("django.conf:settings", namespace="CELERY")

# Find tasks.py in every installed Django app.
app.autodiscover_tasks()
