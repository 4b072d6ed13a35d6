"""With Redis down or frozen, delay() must fail fast and say where it looked."""

import os
import signal

import pytest
from django.conf import settings

from classroom import procs, stack
from tests.helpers import post_divide, run_client, send, wait_for_state

DELAY_AND_TIME = """
import os
from calc.tasks import add
from classroom.errors import explain
start = time.perf_counter()
try:
    add.delay(1, 2)
    error = explained = "no error"
except Exception as exc:
    seconds = time.perf_counter() - start
    error = repr(exc)
    explained = str(explain(exc, os.environ["CELERY_BROKER_URL"]))
print(json.dumps({"seconds": time.perf_counter() - start, "error": error, "explained": explained}))
"""


@pytest.fixture
def redis_only(private_stack):
    stack.up(["redis"], cfg=private_stack)
    return private_stack


def test_delay_fails_fast_when_broker_is_down(redis_only):
    stack.down(["redis"], cfg=redis_only)
    outcome = run_client(redis_only, DELAY_AND_TIME)
    assert outcome["seconds"] < 1.0
    # Celery's own error varies with who notices first; the kit's explanation does not
    message = outcome["explained"]
    assert message.startswith(
        f"Redis is not answering at redis://127.0.0.1:{redis_only.redis_port}"
    )
    assert "Connection refused" in message
    assert "python -m classroom up" in message


def test_delay_fails_within_seconds_when_redis_is_frozen(redis_only):
    pid = next(s.pid for s in stack.status(redis_only) if s.name == "redis")
    os.kill(pid, signal.SIGSTOP)
    try:
        outcome = run_client(redis_only, DELAY_AND_TIME)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert outcome["error"] != "no error"
    assert "Timeout" in outcome["explained"]
    # A frozen server accepts connections but never answers: each client gives up after its
    # socket timeout (the backend's, then the broker's). Without them, this never returns.
    assert outcome["seconds"] < 3 * settings.CELERY_REDIS_SOCKET_TIMEOUT


def test_delay_works_again_once_redis_is_back(redis_only):
    stack.down(["redis"], cfg=redis_only)
    assert run_client(redis_only, DELAY_AND_TIME)["error"] != "no error"
    stack.up(["redis"], cfg=redis_only)
    assert run_client(redis_only, DELAY_AND_TIME)["error"] == "no error"


def test_the_demo_app_answers_503_with_the_fix_when_redis_is_down(private_stack):
    import urllib.error
    import urllib.request

    cfg = private_stack
    stack.up(["redis", "django"], cfg=cfg)
    stack.down(["redis"], cfg=cfg)
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with pytest.raises(urllib.error.HTTPError) as caught:
        post_divide(browser, cfg.django_url, 1, 2)
    assert caught.value.code == 503
    page = caught.value.read().decode()
    assert "The broker did not answer" in page
    assert "python -m classroom up" in page


def test_with_reconnect_the_worker_is_left_to_find_redis_again_by_itself(private_stack):
    cfg = private_stack
    stack.up(["worker"], cfg=cfg)
    worker = procs.Registry(cfg.state_file).load()["worker"]
    stack.down(["redis"], cfg=cfg)
    back = stack.up(["redis"], cfg=cfg, reconnect=True)
    assert "worker" not in back.started  # left running, not restarted
    assert procs.Registry(cfg.state_file).load()["worker"].pid == worker.pid
    task_id = send(cfg, "calc.tasks.add", 2, 3)
    # its back-off: 2 s, then 4 s, ... so within a few seconds here
    assert wait_for_state(cfg, task_id, {"SUCCESS"}, timeout=40)["result"] == 5
    log = cfg.log_file("worker").read_text()
    assert "Connection to broker lost" in log
    assert log.rfind("Connected to") > log.rfind("Connection to broker lost")
