"""Module boundaries: no import cycle between the domain modules (services and models import downwards only; routes
compose), counting every import: at the top of a file, inside a function, under TYPE_CHECKING, in any file of the
package (a cycle hidden in a function body is a cycle all the same); and each module's services import alone in a
fresh interpreter, whatever was imported before."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "conference"
MODULES = sorted(
    p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name != "translations"
)


def _imports(module: str) -> set[str]:
    found = set()
    for path in (PACKAGE / module).rglob("*.py"):
        if "routes" in path.name:  # the web layer composes modules; nothing imports it back
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "conference" and len(parts) > 1 and parts[1] in MODULES and parts[1] != module:
                    found.add(parts[1])
    return found


def test_the_modules_import_each_other_without_a_cycle():
    graph = {module: _imports(module) for module in MODULES}
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                pytest.fail("import cycle: " + " -> ".join(path + [module, other]))
            if other not in state:
                visit(other, path + [module])
        state[module] = "done"

    for module in MODULES:
        if module not in state:
            visit(module, [])
    assert "minutes" in graph and "meetings" not in graph["cases"] and "minutes" not in graph["meetings"]
    # The case list sits below the two modules that use it.
    assert graph["agenda"] <= {"audit", "people"}, graph["agenda"]
    assert "cases" not in graph["conferences"]


@pytest.mark.parametrize("module", [m for m in MODULES if (PACKAGE / m / "services.py").exists()])
def test_each_services_module_imports_alone(module):
    others = [m for m in reversed(MODULES) if m != module and (PACKAGE / m / "services.py").exists()]
    code = f"import conference.{module}.services\n" + "".join(f"import conference.{m}.services\n" for m in others)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stderr[-2000:]
