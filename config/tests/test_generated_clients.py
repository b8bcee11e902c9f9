"""Clients generated from the OpenAPI schema work as generated (issue 17).

The schema is the one /api/v1/schema/ serves. From it, with the pinned generators:
- openapi-python-client (requirements-dev.txt) builds a Python client without a warning, every module
  of it imports, `mypy --strict` passes on clients/python_scenario.py against it, and that scenario
  runs against a live server;
- openapi-typescript (package.json) builds the types, `tsc --strict --noEmit` passes on
  clients/typescript/scenario.ts (openapi-fetch), and the compiled scenario runs against a live server.
Offline: the generators read a file; the scenarios talk to 127.0.0.1 only.
"""

import importlib
import json
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from accounts.tests.factories import PASSWORD

ROOT = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent
NODE_BIN = ROOT / "node_modules" / ".bin"
PACKAGE = "timetrack_client"


def _run(command, **kwargs):
    # The venv's bin first: openapi-python-client formats its output with the pinned ruff.
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **kwargs.pop("env", {})}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False, **kwargs)


def _output(result):
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory):
    """The schema as /api/v1/schema/?format=json serves it (the same generator and renderer)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    path.write_bytes(OpenApiJsonRenderer().render(document, renderer_context={}))
    return path


@pytest.fixture(scope="module")
def python_client(schema_file, tmp_path_factory):
    """The generated Python package, importable as `timetrack_client` while this module's tests run."""
    where = tmp_path_factory.mktemp("python-client")
    result = _run(
        [
            str(VENV_BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(schema_file),
            "--output-path",
            str(where / PACKAGE),
            "--meta",
            "none",
        ]
    )
    print(_output(result))  # the generator's output, shown with -s or on failure
    assert result.returncode == 0, _output(result)
    assert "warning" not in (result.stdout + result.stderr).lower(), _output(result)
    sys.path.insert(0, str(where))
    yield where
    sys.path.remove(str(where))
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def typescript_project(schema_file, tmp_path_factory):
    """clients/typescript with the generated types, resolving the pinned npm packages."""
    where = tmp_path_factory.mktemp("typescript-client")
    for name in ("scenario.ts", "tsconfig.json"):
        shutil.copy(ROOT / "clients" / "typescript" / name, where / name)
    (where / "node_modules").symlink_to(ROOT / "node_modules")
    (where / "package.json").write_text(json.dumps({"type": "module", "private": True}))
    result = _run([str(NODE_BIN / "openapi-typescript"), str(schema_file), "-o", str(where / "api.d.ts")])
    print(_output(result))
    assert result.returncode == 0, _output(result)
    assert "warn" not in (result.stdout + result.stderr).lower(), _output(result)
    return where


def test_the_python_client_builds_and_every_module_imports(python_client):
    modules = [info.name for info in pkgutil.walk_packages([str(python_client / PACKAGE)], PACKAGE + ".")]
    failures = {}
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # noqa: BLE001 - every failing module is reported, not the first
            failures[name] = f"{type(error).__name__}: {error}"
    assert len(modules) > 200  # every operation and model, not an empty package
    assert failures == {}


def test_the_python_scenario_type_checks_strictly(python_client):
    result = _run(
        [
            str(VENV_BIN / "mypy"),
            "--config-file",
            str(ROOT / "clients" / "mypy.ini"),
            "--no-incremental",
            str(ROOT / "clients" / "python_scenario.py"),
        ],
        env={"MYPYPATH": str(python_client)},
        cwd=ROOT,
    )
    assert result.returncode == 0, _output(result)


def test_the_typescript_scenario_type_checks_strictly(typescript_project):
    result = _run([str(NODE_BIN / "tsc"), "-p", str(typescript_project), "--strict", "--noEmit"])
    assert result.returncode == 0, _output(result)


@pytest.fixture
def cast(employee, manager, hr):
    """The scenario's people and what HR set up beforehand: a leave type with this year's and next
    year's allowance for the employee."""
    from django.utils import timezone

    from leave.tests.factories import LeaveTypeFactory, give_allowance

    vacation = LeaveTypeFactory()
    this_year = timezone.now().year
    for year in (this_year, this_year + 1):
        give_allowance(employee, vacation, "30", year=year)
    return [employee.username, manager.username, hr.username, PASSWORD]


SCENARIO_STEPS = [
    "log in",
    "me",
    "a project (HR)",
    "timer start/stop",
    "an entry by duration with a tag name",
    "a list with from/to, paged through",
    "a weekly summary",
    "a leave preview and request",
    "the manager's approval",
    "balances",
    "CSV and XLSX exports",
    "a 404 and a 409 read as typed errors",
    "an Idempotency-Key replay",
    "an API key",
    "log out",
]


@pytest.mark.django_db(transaction=True)
def test_the_python_scenario_runs_against_a_live_server(python_client, live_server, cast):
    from clients.python_scenario import Scenario

    steps = Scenario(live_server.url, *cast).run()
    print("\n".join(f"{number:2}. {step}" for number, step in enumerate(steps, start=1)))
    assert steps == SCENARIO_STEPS


@pytest.mark.django_db(transaction=True)
def test_the_typescript_scenario_runs_against_a_live_server(typescript_project, live_server, cast):
    build = _run([str(NODE_BIN / "tsc"), "-p", str(typescript_project), "--outDir", str(typescript_project / "out")])
    assert build.returncode == 0, _output(build)
    (typescript_project / "out" / "package.json").write_text(json.dumps({"type": "module"}))
    result = _run(["node", str(typescript_project / "out" / "scenario.js"), live_server.url, *cast])
    print(result.stdout)
    assert result.returncode == 0, _output(result)
    assert [line.split(". ", 1)[1] for line in result.stdout.splitlines()] == SCENARIO_STEPS
