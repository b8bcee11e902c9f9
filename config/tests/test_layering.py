"""The floors of the project (README "Architecture"): core/ is the ground floor and imports no
project app and not config; the apps build on core and never import config, the wiring above
them. Imports are read with `ast` (every import statement, inside functions too), not grepped."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def project_apps():
    """The installed apps that live in this repository (accounts, timetracking, ..., bench)."""
    names = []
    for entry in settings.INSTALLED_APPS:
        top = entry.split(".")[0]
        if top in ("config", "core") or top in names or not (ROOT / top / "__init__.py").exists():
            continue
        names.append(top)
    return names


def imported_modules(path, root=ROOT):
    """Every module `path` imports, as absolute dotted names."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield ".".join([*base, node.module] if node.module else base)
            else:
                yield node.module


def offences(folder, forbidden, *, skip=(), root=ROOT):
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        parts = path.relative_to(root).parts
        if any(part in skip for part in parts) or (path.name == "conftest.py" and "tests" in skip):
            continue
        for module in imported_modules(path, root):
            if module.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(root)} imports {module}")
    return found


def test_the_project_apps_are_found():
    assert {"accounts", "timetracking", "leave", "sprockets", "webhooks", "reports"} <= set(project_apps())


def test_core_imports_no_project_app_and_not_config():
    assert offences("core", {"config", *project_apps()}) == []


# The benchmark's own wiring: a settings module and a URLconf built on config's (config.settings plus
# the reference views), set only by `make bench`'s runner. Wiring above config, not an app below it.
BENCH_WIRING = ("bench/settings.py", "bench/urls.py")


def test_no_app_imports_config_outside_tests_and_migrations():
    found = []
    for app in project_apps():
        found += offences(app, {"config"}, skip=("tests", "migrations"))
    assert [offence for offence in found if not offence.startswith(BENCH_WIRING)] == []


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path):
    (tmp_path / "core").mkdir()
    probe = tmp_path / "core" / "probe.py"
    probe.write_text("def f():\n    from config.celery import app\n    from . import errors\n    import leave.models\n")
    assert set(imported_modules(probe, tmp_path)) == {"config.celery", "core", "leave.models"}
    assert offences("core", {"config", "leave"}, root=tmp_path) == [
        "core/probe.py imports config.celery",
        "core/probe.py imports leave.models",
    ]
