"""A Redis the kit did not start keeps every key, and its port is never silently shared."""

import dataclasses
import subprocess
import time

import pytest
import redis

from classroom import stack
from classroom.errors import PortInUse
from classroom.ports import free_port
from classroom.services import find_redis_server
from tests.helpers import make_private_config

WRITES = ("set", "del", "flushdb", "flushall", "lpush", "rpush", "publish", "shutdown",
          "config", "expire", "hset", "sadd", "zadd")  # fmt: skip


@pytest.fixture
def foreign_redis(tmp_path):
    """A user's own Redis, with data in it."""
    port = free_port()
    proc = subprocess.Popen(
        [str(find_redis_server()), "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port, socket_timeout=1)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            proc.poll()
            time.sleep(0.05)
    client.set("user:thesis", "do not lose me")
    client.lpush("celery", "someone else's queued task")
    yield port, client
    proc.terminate()
    proc.wait(timeout=10)


def _write_calls(client):
    stats = client.info("commandstats")
    return {k: v["calls"] for k, v in stats.items() if k.removeprefix("cmdstat_") in WRITES}


def _keys(client):
    return {k: client.dump(k) for k in client.keys("*")}


def test_up_down_and_reset_leave_a_foreign_redis_untouched(foreign_redis, tmp_path):
    _, client = foreign_redis
    before_keys, before_writes = _keys(client), _write_calls(client)
    cfg = make_private_config(tmp_path / "kit")
    stack.up(["redis", "worker"], cfg=cfg)
    stack.down(cfg=cfg)
    stack.reset(cfg=cfg)
    assert _keys(client) == before_keys
    assert _write_calls(client) == before_writes
    assert client.ping()


def test_a_taken_port_is_refused_with_the_port_the_holder_and_the_fix(foreign_redis, tmp_path):
    port, client = foreign_redis
    before_keys, before_writes = _keys(client), _write_calls(client)
    cfg = make_private_config(tmp_path / "kit")
    cfg = dataclasses.replace(cfg, redis_port=port)
    with pytest.raises(PortInUse) as caught:
        stack.up(["redis"], cfg=cfg)
    message = str(caught.value)
    assert f"Port {port}" in message
    assert "redis-server" in message  # who holds it
    assert "REDIS_PORT=" in message  # how to choose another
    stack.down(cfg=cfg)
    stack.reset(cfg=cfg)
    assert _keys(client) == before_keys
    assert _write_calls(client) == before_writes
