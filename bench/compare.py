"""The pages of bench/pages.py on two checkouts at once, interleaved (a figure, not a timed test): did a change make
any page slower?

Each checkout (this one, and another with its own .venv, e.g. `git worktree add ../before <commit>` then `make
install` there) gets its own database, prepared by its own bench/pages.py (the demo unit plus a conference with 40
listed cases), and its own gunicorn (2 sync workers). Then, page by page and round by round: the floor (a Flask
hello-world on the same gunicorn), the other checkout, this one. Medians of the rounds are printed side by side;
interleaving puts both under the same load from the rest of the machine.

Run: .venv/bin/python bench/compare.py OTHER_CHECKOUT [sqlite|postgresql|both] [seconds] [rounds]
(PostgreSQL: the databases conference_bench_compare_other and conference_bench_compare_this; bench/database.py)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pages  # noqa: E402
from bench.database import postgres_url  # noqa: E402
from bench.load import free_port  # noqa: E402

THIS = Path(__file__).resolve().parent.parent
ARGS = sys.argv
if len(ARGS) < 2:
    raise SystemExit(__doc__)
OTHER = Path(ARGS[1]).resolve()
WHICH = ARGS[2] if len(ARGS) > 2 else "both"
pages.SECONDS = int(ARGS[3]) if len(ARGS) > 3 else 5
ROUNDS = int(ARGS[4]) if len(ARGS) > 4 else 3

PREPARE = (
    "import json, os, sys; from bench import pages; print(json.dumps(pages.prepare(sys.argv[1], dict(os.environ))))"
)


class Checkout:
    """One checkout served: its own python, database and gunicorn."""

    def __init__(self, root: Path, name: str, database: str, folder: str):
        self.root, self.name = root, name
        self.python = str(root / ".venv" / "bin" / "python")
        self.url = postgres_url(f"compare_{name}") if database == "postgresql" else f"sqlite:///{folder}/{name}.db"
        self.env = dict(
            os.environ,
            FLASK_APP="conference",
            CONFERENCE_DATABASE_URL=self.url,
            CONFERENCE_ENV="development",
            CONFERENCE_MAIL_FILE_DIRECTORY=folder,
        )

    def prepare(self) -> None:
        done = subprocess.run(
            [self.python, "-c", PREPARE, self.url],
            cwd=self.root,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        self.ids = json.loads(done.stdout.strip().splitlines()[-1])

    def start(self, app: str = "bench.framework:app") -> None:
        self.port = free_port()
        command = [self.python, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{self.port}"]
        self.process = subprocess.Popen([*command, "--log-level", "warning", app], cwd=self.root, env=self.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/", timeout=1)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{self.root} did not start")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sign_in(self, folder: str) -> None:
        self.cookie, token = pages.sign_in(self.base)
        self.search = Path(folder) / f"search-{self.name}.lua"
        self.search.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            f'wrk.body = "csrf_token={urllib.parse.quote(token)}&q={urllib.parse.quote(self.ids["family"])}"\n'
        )

    def pages(self) -> list[tuple[str, str, str | None]]:
        ids = self.ids
        return [
            ("(no page: signed in)", "/bench/signed-in", None),
            ("(no page: one audit event)", "/bench/audited", None),
            ("lightest signed-in page", "/conferences/calendar-feed", None),
            ("dashboard", "/", None),
            ("conferences list", "/conferences/", None),
            ("cases index", "/cases/", None),
            ("patient search", "/patients/", str(self.search)),
            ("case summary", f"/cases/{ids['case']}", None),
            ("conference page, 40 cases", f"/conferences/{ids['conference']}", None),
            ("live meeting page, 40 cases", f"/meetings/{ids['conference']}", None),
            ("printable case list", f"/cases/agenda/{ids['conference']}/print", None),
        ]


def run(database: str) -> None:
    folder = tempfile.mkdtemp(prefix="conference-compare-")
    other, this = Checkout(OTHER, "other", database, folder), Checkout(THIS, "this", database, folder)
    floor = Checkout(THIS, "floor", "sqlite", folder)
    served = []
    try:
        for checkout in (other, this):
            checkout.prepare()
            checkout.start()
            served.append(checkout)
            checkout.sign_in(folder)
        floor.start("bench.hello:app")
        served.append(floor)
        print(f"\n{database}: gunicorn 2 sync workers each, wrk -t2 -c16 -d{pages.SECONDS}s, {ROUNDS} rounds (medians)")
        print(f"{'page':<30} {'floor':>7} {'other':>7} {'this':>7} {'this/other':>10}   (requests/s)")
        for (label, path, script), (_, this_path, this_script) in zip(other.pages(), this.pages(), strict=True):
            floors, theirs, ours, their_errors, our_errors = [], [], [], [], []
            for _round in range(ROUNDS):
                floors.append(pages.wrk(f"{floor.base}/")[0])
                theirs.append(pages.wrk(other.base + path, other.cookie, script, their_errors)[0])
                ours.append(pages.wrk(this.base + this_path, this.cookie, this_script, our_errors)[0])
            f, o, t = (statistics.median(x) for x in (floors, theirs, ours))
            errors = f"   not 2xx/3xx: {sum(their_errors)} / {sum(our_errors)}" if their_errors or our_errors else ""
            rounds = f"{[round(x) for x in theirs]} / {[round(x) for x in ours]}"
            print(f"{label:<30} {f:>7.0f} {o:>7.0f} {t:>7.0f} {t / o:>9.2f}x   rounds: {rounds}{errors}")
    finally:
        for checkout in served:
            checkout.process.terminate()
            checkout.process.wait(timeout=20)


if __name__ == "__main__":
    for database in ("sqlite", "postgresql") if WHICH == "both" else (WHICH,):
        run(database)
