"""The service's packages import one another only as their docstrings say: storage at the
bottom, the web layer beside it, the readers' pages never reaching into the moderators', and the
classifier's own package (`model/`) free of Flask and of the service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ROOT / "service"

# What each package may import from the others (each package's __init__ docstring says why).
ALLOWED = {
    "storage": {"config", "decisions"},
    "web": {"storage"},
    "privacy": {"storage", "review"},
    "decisions": {"storage", "classifier", "ops", "config"},
    "classifier": {"storage", "decisions", "review", "intake", "web", "config"},
    "integrations": {"storage", "classifier", "decisions", "intake", "privacy", "web", "config"},
    "articles": {"storage", "web", "integrations", "review", "config"},
    "feed": {"storage", "articles", "intake", "readers", "ops", "web", "config"},
    "intake": {"storage", "decisions", "classifier", "privacy", "ops", "web", "articles", "readers",
               "review", "config"},
    "review": {"storage", "decisions", "classifier", "articles", "readers", "privacy", "ops", "web",
               "config"},
    "ops": {"storage", "classifier", "decisions", "articles", "readers", "config"},
}
PACKAGES = sorted(p.name for p in SERVICE.iterdir() if (p / "__init__.py").exists())


def _imported_packages(package: str) -> dict[str, set[str]]:
    """The other service packages (or top-level modules) each module of `package` imports."""
    found: dict[str, set[str]] = {}
    for path in (SERVICE / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                parts = node.module.split(".")
                if parts[0] == "service":
                    names = [parts[1]] if len(parts) > 1 else [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name.split(".")[1] for a in node.names
                         if a.name.startswith("service.")]
            for name in names:
                if name != package:
                    found.setdefault(name, set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_every_package_says_what_lives_there_and_what_it_may_import():
    for package in PACKAGES:
        doc = ast.get_docstring(ast.parse((SERVICE / package / "__init__.py").read_text()))
        assert doc and len(doc.splitlines()) >= 3, f"service/{package}/__init__.py: no docstring"
        modules = {p.stem for p in (SERVICE / package).glob("*.py")} - {"__init__"}
        for module in modules:
            assert f"`{module}`" in doc or module in ("views", "actions"), (package, module)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_what_its_docstring_allows(package):
    imported = _imported_packages(package)
    assert set(imported) <= ALLOWED[package], {
        name: sorted(paths) for name, paths in imported.items() if name not in ALLOWED[package]}


def test_the_readers_pages_never_reach_into_the_moderators():
    assert "review" not in _imported_packages("feed")
    assert "review" not in _imported_packages("readers")


def test_the_model_package_knows_nothing_of_flask_or_the_service():
    for path in (ROOT / "model").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            modules = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                       else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for module in modules:
                assert module.split(".")[0] not in {"flask", "service"}, (path, module)
