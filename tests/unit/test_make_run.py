"""`make run` on a fresh Debian machine: everything the demo needs is installed before the demo is seeded (the
demo's letters are sent as PDFs, which LibreOffice renders)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_installs_libreoffice_before_it_seeds_the_demo():
    planned = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"}
    ).stdout
    assert "flask seed-demo" in planned
    seeding = planned.index("flask seed-demo")
    assert "/usr/bin/soffice" in planned[:seeding], planned
