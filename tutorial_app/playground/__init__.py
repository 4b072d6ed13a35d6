"""A scratch app for the lessons: they write playground/tasks.py (git-ignored) to show what a
worker does with edited code. Celery's autodiscover imports it when it exists."""
