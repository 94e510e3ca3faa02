"""Every package the code imports is installed by pyproject.toml, not by chance.

A package that happened to be in a developer's environment (pulled in by some tool
installed by hand) lets the suite pass there and fail on a clean clone.
"""

import ast
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "consultations"
EXTRAS = ("test",)
OUR_PACKAGES = {"app", "bench", "tests", "migrations", "wsgi"}
SOURCES = ["app", "bench", "tests", "migrations", "wsgi.py", "gunicorn.conf.py"]


def imported_modules() -> dict[str, set[str]]:
    """Top-level modules imported anywhere in the project, with the files importing each."""
    found: dict[str, set[str]] = {}
    for source in SOURCES:
        path = ROOT / source
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            for node in ast.walk(ast.parse(file.read_text(), str(file))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(file.relative_to(ROOT)))
    return found


def third_party(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    return {
        name: files
        for name, files in modules.items()
        if name not in sys.stdlib_module_names and name not in OUR_PACKAGES
    }


def declared_closure(project: str, extras: tuple[str, ...]) -> set[str]:
    """The distributions the project's requirements install, directly or through others."""
    installed: set[tuple[str, tuple[str, ...]]] = set()
    pending = [(project, extras)]
    while pending:
        name, wanted_extras = pending.pop()
        key = canonicalize_name(name)
        if (key, wanted_extras) in installed:
            continue
        installed.add((key, wanted_extras))
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            environments = [{"extra": extra} for extra in wanted_extras] or [{"extra": ""}]
            if requirement.marker and not any(
                requirement.marker.evaluate(environment) for environment in environments
            ):
                continue
            pending.append((requirement.name, tuple(sorted(requirement.extras))))
    return {key for key, _ in installed}


def undeclared(modules: dict[str, set[str]], closure: set[str]) -> dict[str, list[str]]:
    """Imported modules that no distribution in `closure` provides."""
    providers = metadata.packages_distributions()
    return {
        name: sorted(files)
        for name, files in third_party(modules).items()
        if not {canonicalize_name(dist) for dist in providers.get(name, [])} & closure
    }


def test_every_imported_package_is_a_declared_dependency():
    closure = declared_closure(PROJECT, EXTRAS)
    assert undeclared(imported_modules(), closure) == {}


def test_an_import_that_only_a_stray_package_provides_is_reported():
    """The check itself can fail: without requests declared, its importers are named."""
    closure = declared_closure(PROJECT, EXTRAS)
    modules = imported_modules()
    assert "requests" in third_party(modules)

    missing = undeclared(modules, closure - {"requests"})

    assert "tests/test_several_processes.py" in missing["requests"]
