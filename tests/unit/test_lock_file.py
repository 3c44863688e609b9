"""requirements.lock pins every dependency pyproject.toml declares (make install installs from it), each to one
version that satisfies the declared range: regenerate it with `make lock` after changing a dependency."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_declared_dependency_is_pinned_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", line)
        if match:
            pinned[_name(match.group(1).split("[")[0])] = match.group(2)
    missing = [str(r) for r in declared if _name(r.name) not in pinned]
    assert not missing, f"not in requirements.lock (run make lock): {missing}"
    outside = [f"{r} (locked {pinned[_name(r.name)]})" for r in declared if pinned[_name(r.name)] not in r.specifier]
    assert not outside, outside
