"""Memory (a figure, not a timed test): a process's RSS while it serves 1,000 requests of the heavy pages and
builds 200 Word minutes (each followed by release_memory, as the routes do after answering). The target (issue 15) is a flat
line: what the process holds after the first rounds it keeps, it does not grow with the work it has done.

Run: .venv/bin/python bench/memory.py
"""

from __future__ import annotations

import gc
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REQUESTS, BUILDS = 1_000, 200


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    from bench.minutes import meeting
    from bench.scale import PASSWORD, generate
    from conference import create_app
    from conference.minutes.document import build_minutes, release_memory

    folder = tempfile.mkdtemp(prefix="conference-memory-")
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.db",
        WTF_CSRF_ENABLED=False,
        MAIL_FILE_DIRECTORY=folder,
    )
    ids = generate(app, 2_000)
    client = app.test_client()
    client.post("/login", data={"email": "k@example-hospital.se", "password": PASSWORD})
    pages = [
        f"/conferences/{ids['conference']}",
        f"/meetings/{ids['conference']}",
        f"/cases/{ids['case']}",
        "/cases/",
        "/",
        "/conferences/archive",
    ]
    samples = []
    for n in range(REQUESTS):
        assert client.get(pages[n % len(pages)]).status_code == 200
        if n % 200 == 199:
            gc.collect()
            samples.append(rss_mib())
    print(
        "requests: RSS after each 200 (MiB):",
        " ".join(f"{s:.0f}" for s in samples),
        f"-> growth after the first 200: {samples[-1] - samples[0]:+.1f} MiB",
    )
    data = meeting(40)
    builds = []
    for n in range(BUILDS):
        build_minutes(data)
        release_memory()  # as the routes do once the answer has gone (conference/minutes/routes.py)
        if n % 40 == 39:
            gc.collect()
            builds.append(rss_mib())
    print(
        "minutes builds: RSS after each 40 (MiB):",
        " ".join(f"{s:.0f}" for s in builds),
        f"-> growth after the first 40: {builds[-1] - builds[0]:+.1f} MiB",
    )


if __name__ == "__main__":
    main()
