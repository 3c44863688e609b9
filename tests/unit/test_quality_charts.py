"""The quality charts are drawn without pyplot, whose global registry of figures is not thread-safe under the threaded
workers `make run` starts; drawn from several threads at once, each chart is the one asked for."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_drawing_a_chart_never_loads_pyplot():
    code = (
        "import sys\n"
        "from conference.quality import charts\n"
        "charts.bars(['a', 'b'], [1, 2], title='t', y_label='n')\n"
        "charts.scatter_identity([(1, 2)], title='t', x_label='x', y_label='y')\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was loaded'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_charts_drawn_at_once_in_threads_are_each_their_own():
    from conference.quality import charts

    def draw(n: int) -> tuple[int, str]:
        html = charts.bars([f"label-{n}"], [n + 1], title=f"chart-{n}", y_label="n")
        svg = base64.b64decode(re.search(r"base64,([^\"]+)", str(html)).group(1)).decode()
        return n, svg

    with ThreadPoolExecutor(max_workers=8) as pool:
        for n, svg in pool.map(draw, range(32)):
            assert f"chart-{n}" in svg and f"label-{n}" in svg
            assert not any(f"chart-{m}<" in svg for m in range(32) if m != n)
