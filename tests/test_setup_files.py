"""The other two ways to run the kit stay valid: conda's environment.yml and the compose file."""

import json
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


def test_the_github_workflow_is_valid_and_runs_the_readmes_test_command_everywhere_promised():
    import jsonschema

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "test.yml").read_text())
    schema = json.loads((ROOT / "tests" / "schemas" / "github-workflow.json").read_text())
    workflow["on"] = workflow.pop(True)  # PyYAML reads YAML 1.1, where the key `on` is True
    jsonschema.validate(workflow, schema)
    triggers = workflow["on"]
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    (job,) = workflow["jobs"].values()
    matrix = job["strategy"]["matrix"]
    assert {"ubuntu-latest", "macos-latest"} <= set(matrix["os"])
    assert {"3.11", "3.12", "3.13"} <= set(matrix["python"])
    assert any(step.get("run") == ".ci/run" for step in job["steps"])
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
