"""The benchmark's baseline: a Celery app with nothing but a broker and a result backend,
so that `make bench` can show what the kit's fail-fast settings cost per round trip."""

import os

from celery import Celery

url = os.environ["CLASSROOM_BENCH_URL"]
app = Celery("plain", broker=url, backend=url)
# Celery prefers CELERY_BROKER_URL from the environment to broker=; pin this app to `url`.
app.conf.broker_read_url = app.conf.broker_write_url = url
app.conf.task_default_queue = "plain"


@app.task(name="plain.add")
def add(x, y):
    return x + y
