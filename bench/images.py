"""Images (a figure, not a timed test): a 16-bit 4,000 x 10,000 standing long-leg radiograph (DICOM, 80 MB of
pixels) imported and rendered (screen rendering, thumbnail and the zoom-tile pyramid), in time and peak memory,
beside Pillow's own decode and resize of the same pixels (an uncompressed 16-bit TIFF: the floor); then the case
summary page with and without three images (the target: at most 20% slower with them).

Each measurement runs in its own process, so its peak RSS is its own (ru_maxrss less the RSS after imports).

Run: .venv/bin/python bench/images.py [rows columns]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.memory import rss_mib

ROWS, COLUMNS = 10_000, 4_000
SCREEN = 2048


def peak_mib() -> float:
    """This process's peak RSS (VmHWM: ru_maxrss would keep the parent's peak across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def write_inputs(folder: Path, rows: int, columns: int) -> tuple[Path, Path]:
    """The radiograph as DICOM and as a 16-bit TIFF (the same pixels), written band by band."""
    import numpy as np
    from PIL import Image

    from tests.functional.imaging.helpers import dicom_dataset, long_leg_pixels

    class Patient:
        national_id, given_name, family_name = "201006022384", "Bench", "Radiograph"
        from datetime import date

        date_of_birth = date(2010, 6, 2)

    pixels = long_leg_pixels(rows, columns)
    noise = np.random.default_rng(0).integers(0, 64, size=(251, columns), dtype=np.uint16)
    for top in range(0, rows, 251):
        pixels[top : top + 251] += noise[: min(251, rows - top)]  # so the tiles are not flat
    dicom = folder / "long-leg.dcm"
    dicom_dataset(Patient, rows=rows, columns=columns, pixels=pixels).save_as(dicom, enforce_file_format=True)
    tiff = folder / "long-leg.tif"
    Image.fromarray(pixels).save(tiff, format="TIFF")  # uint16 -> mode I;16
    return dicom, tiff


def phase_import(dicom: str, store: str) -> dict:
    """What an upload does after receiving the bytes: check the file, store it by hash, render the default window."""
    import pydicom.pixels  # noqa: F401 - imported before the baseline, like a warm server

    from conference import create_app
    from conference.imaging import render
    from conference.imaging.formats import read_file
    from conference.imaging.store import ImageStore

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", IMAGE_STORE=store)
    with app.app_context():
        base = rss_mib()
        started = time.perf_counter()
        images = ImageStore(store)
        with open(dicom, "rb") as source:
            incoming = images.receive(source, 1 << 40)
        info = read_file(incoming.path, incoming.head, app.config["IMAGE_MAX_PIXELS"])
        images.keep(incoming)
        path = images.file_path(incoming.sha256)
        array = render.open_pixels(path, info, images.derived_dir(incoming.sha256))
        presets = render.presets_for(array, info)
        del array
        checked = time.perf_counter()
        manifest = render.render(
            path,
            info,
            images.derived_dir(incoming.sha256),
            presets,
            0,
            tile=app.config["IMAGE_TILE_SIZE"],
            screen=SCREEN,
        )
        done = time.perf_counter()
    tiles = sum(1 for _ in images.derived_dir(incoming.sha256).rglob("*.jpg"))
    return {
        "store_and_check_s": checked - started,
        "render_s": done - checked,
        "total_s": done - started,
        "peak_mib": peak_mib() - base,
        "levels": len(manifest["levels"]),
        "tiles": tiles,
    }


def phase_floor(tiff: str) -> dict:
    """Pillow alone: decode the same 16-bit pixels and resize them to the screen size."""
    from PIL import Image, TiffImagePlugin  # noqa: F401 - imported before the baseline

    base = rss_mib()
    started = time.perf_counter()
    with Image.open(tiff) as image:
        image.load()
        decoded = time.perf_counter()
        width, height = image.size
        scale = SCREEN / max(width, height)
        image.resize((round(width * scale), round(height * scale)), Image.Resampling.LANCZOS, reducing_gap=3.0)
    done = time.perf_counter()
    return {
        "decode_s": decoded - started,
        "resize_s": done - decoded,
        "total_s": done - started,
        "peak_mib": peak_mib() - base,
    }


def summary_pages(runs: int = 200) -> dict:
    """The case summary without images and with three (each page measured `runs` times, medians)."""
    folder = tempfile.mkdtemp(prefix="conference-images-")
    try:
        return _summary_pages(folder, runs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _summary_pages(folder: str, runs: int) -> dict:
    from sqlalchemy import select

    from conference import create_app
    from conference.extensions import db
    from conference.people.models import User
    from tests.functional.cases.helpers import make_ready_case
    from tests.functional.imaging.helpers import attach, dicom_bytes, pdf_bytes, png_bytes

    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.db",
        IMAGE_STORE=f"{folder}/images",
        WTF_CSRF_ENABLED=False,
        MAIL_FILE_DIRECTORY=folder,
    )
    from flask_migrate import upgrade

    from conference.people import services as people

    with app.app_context():
        upgrade()
        user = people.create_user(
            email="k@example-hospital.se", name="K", role="coordinator", password="bench-password-1"
        )
        db.session.flush()
        plain = make_ready_case(user.id, 0, measurements=4)
        pictured = make_ready_case(user.id, 1, measurements=4)
        attach(pictured, dicom_bytes(pictured.patient, rows=2000, columns=800), user)
        attach(pictured, png_bytes(640, 480), user, kind="photo")
        attach(pictured, pdf_bytes(), user, kind="letter")
        db.session.commit()
        ids = plain.id, pictured.id
        assert db.session.scalar(select(User.id))
    client = app.test_client()
    client.post("/login", data={"email": "k@example-hospital.se", "password": "bench-password-1"})
    timings = {}
    for name, case_id in zip(("without", "with three"), ids):
        for _ in range(20):
            assert client.get(f"/cases/{case_id}").status_code == 200
    samples = {name: [] for name in ("without", "with three")}
    for _ in range(runs):  # interleaved, so drift hits both alike
        for name, case_id in zip(("without", "with three"), ids):
            started = time.perf_counter()
            response = client.get(f"/cases/{case_id}")
            samples[name].append(time.perf_counter() - started)
            assert response.status_code == 200
    for name, values in samples.items():
        timings[name] = statistics.median(values) * 1000
    return timings


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        result = phase_import(sys.argv[3], sys.argv[4]) if sys.argv[2] == "import" else phase_floor(sys.argv[3])
        print(json.dumps(result))
        return
    rows, columns = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (ROWS, COLUMNS)
    folder = Path(tempfile.mkdtemp(prefix="conference-images-"))
    dicom, tiff = write_inputs(folder, rows, columns)
    print(f"{columns} x {rows} 16-bit radiograph: DICOM {dicom.stat().st_size / 2**20:.0f} MiB")

    def run(*args: str) -> dict:
        out = subprocess.run(
            [sys.executable, __file__, "--phase", *args],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    try:
        report(folder, dicom, tiff, run)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(folder: Path, dicom: Path, tiff: Path, run) -> None:
    floor = run("floor", str(tiff))
    ours = run("import", str(dicom), str(folder / "store"))
    print(
        f"Pillow floor (decode + resize to {SCREEN} px): {floor['total_s']:.2f} s "
        f"(decode {floor['decode_s']:.2f}, resize {floor['resize_s']:.2f}), peak +{floor['peak_mib']:.0f} MiB"
    )
    print(
        f"import (hash, store, check): {ours['store_and_check_s']:.2f} s; render (screen, thumbnail, "
        f"{ours['levels']} levels, {ours['tiles']} tiles): {ours['render_s']:.2f} s; total {ours['total_s']:.2f} s "
        f"= {ours['total_s'] / floor['total_s']:.1f} x the floor; peak +{ours['peak_mib']:.0f} MiB "
        f"({ours['peak_mib'] / max(floor['peak_mib'], 1):.2f} x the floor's)"
    )
    pages = summary_pages()
    ratio = pages["with three"] / pages["without"]
    print(
        f"case summary: without images {pages['without']:.1f} ms, with three {pages['with three']:.1f} ms "
        f"({(ratio - 1) * 100:+.0f}%; target at most +20%)"
    )


if __name__ == "__main__":
    main()
