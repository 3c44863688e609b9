"""`make run`: the web app (gunicorn) and the scheduler process side by side; Ctrl-C stops both."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="5000")
    parser.add_argument("--no-scheduler", action="store_true")
    args = parser.parse_args(argv)

    commands = [
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"{args.host}:{args.port}",
            "--access-logfile",
            "-",
            "conference.wsgi:app",
        ],
    ]
    if not args.no_scheduler:
        commands.append([sys.executable, "-m", "flask", "--app", "conference", "scheduler"])
    processes = [subprocess.Popen(command) for command in commands]

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        while not stopping:
            for process in processes:
                if process.poll() is not None:  # one died: take the other down too
                    exit_code = process.returncode or 1
                    stopping = True
            time.sleep(0.3)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
