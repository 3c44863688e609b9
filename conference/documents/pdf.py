"""PDF from a Word document, rendered by LibreOffice (`soffice --headless --convert-to pdf`), so the PDF shows
exactly what the .docx holds (the minutes, later patient letters).

Each conversion runs in its own temporary directory with its own LibreOffice user profile
(-env:UserInstallation): two conversions at once would otherwise share ~/.config/libreoffice and the second one
exits at once with nothing written. A timeout ends a conversion that hangs; what soffice prints is kept short.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

SOFFICE = os.environ.get("CONFERENCE_SOFFICE", "soffice")
TIMEOUT_SECONDS = 120
_OUTPUT_LIMIT = 2000  # bytes of soffice's output kept in an error message


class ConversionFailed(RuntimeError):
    """LibreOffice is missing, timed out, or wrote no PDF."""


def _soffice() -> str:
    found = shutil.which(SOFFICE)
    if found is None:
        raise ConversionFailed(f"{SOFFICE} not found: install libreoffice-writer-nogui (see the Makefile)")
    return found


def docx_to_pdf(data: bytes, *, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The PDF of a .docx given as bytes. Raises ConversionFailed."""
    with tempfile.TemporaryDirectory(prefix="conference-pdf-") as work:
        folder = Path(work)
        source = folder / "document.docx"
        source.write_bytes(data)
        profile = folder / "profile"
        command = [
            _soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(folder),
            str(source),
        ]
        log = folder / "soffice.log"  # to a file, so a chatty soffice cannot fill memory or block on a pipe
        with log.open("wb") as sink:
            # Its own process group, so a timeout ends soffice's helper processes too.
            process = subprocess.Popen(
                command,
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, "HOME": str(folder)},
            )
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise ConversionFailed(f"LibreOffice did not finish within {timeout:g} s") from None
        result = folder / "document.pdf"
        if process.returncode != 0 or not result.exists():
            with log.open("rb") as written:
                written.seek(max(0, log.stat().st_size - _OUTPUT_LIMIT))
                text = written.read().decode("utf-8", "replace")
            raise ConversionFailed(f"LibreOffice wrote no PDF (exit {process.returncode}): {text}")
        return result.read_bytes()
