"""Every third-party package the code imports is declared in pyproject.toml, so a hospital's install (and CI) gets
it from the lock file instead of by luck through another package."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = {"conference", "config", "tests", "bench"}


def _imported_top_level(folder: str) -> set[str]:
    names = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - OWN - set(sys.stdlib_module_names)


def _declared(groups: list[str]) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for group in groups:
        requirements += project["optional-dependencies"][group]
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def _undeclared(folder: str, groups: list[str]) -> list[str]:
    distributions = packages_distributions()
    declared = _declared(groups)
    missing = []
    for name in sorted(_imported_top_level(folder)):
        dists = {d.lower().replace("_", "-") for d in distributions.get(name, [name])}
        if not dists & declared:
            missing.append(f"{name} ({', '.join(sorted(dists))})")
    return missing


def test_the_application_declares_what_it_imports():
    assert _undeclared("conference", []) == []


def test_the_tests_declare_what_they_import():
    assert _undeclared("tests", ["test"]) == []
