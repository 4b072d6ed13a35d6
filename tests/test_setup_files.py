"""The other two ways to run the kit stay valid: conda's environment.yml and the compose file."""

import re

import yaml

from classroom.config import ROOT


def test_the_conda_environment_installs_the_lock_and_a_real_redis():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "redis-server" in deps
    assert any(re.fullmatch(r"python=3\.1[1-9]", d) for d in deps if isinstance(d, str))
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip == ["-r requirements.lock"]
    assert (ROOT / "requirements.lock").exists()


def test_the_compose_redis_listens_on_loopback_on_the_kits_port():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    redis = compose["services"]["redis"]
    assert redis["ports"] == ["127.0.0.1:6390:6379"]
    assert "healthcheck" in redis


def test_the_lock_pins_every_package():
    lines = [
        line
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines
    assert all("==" in line for line in lines), [line for line in lines if "==" not in line]
