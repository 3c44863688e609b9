"""A real PACS for the tests: Orthanc with its DICOMweb plugin (Debian packages orthanc, orthanc-dicomweb), started
on loopback with an ephemeral HTTP port, the DICOM port off, storage in a temporary folder and basic auth."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ORTHANC = Path("/usr/sbin/Orthanc")
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
USER, PASSWORD = "conference", "pacs-test-password"


def available() -> str | None:
    """None if Orthanc and its DICOMweb plugin are installed, else why not."""
    if not ORTHANC.exists():
        return "Orthanc is not installed (apt-get install orthanc; `make test` does)"
    if not DICOMWEB_PLUGIN.exists():
        return "Orthanc's DICOMweb plugin is not installed (apt-get install orthanc-dicomweb; `make test` does)"
    return None


@dataclass
class Orthanc:
    url: str
    process: subprocess.Popen

    @property
    def dicomweb(self) -> str:
        return self.url + "/dicom-web"

    def upload(self, data: bytes) -> dict:
        response = requests.post(self.url + "/instances", data=data, auth=(USER, PASSWORD), timeout=30)
        response.raise_for_status()
        return response.json()

    def clear(self) -> None:
        for patient in requests.get(self.url + "/patients", auth=(USER, PASSWORD), timeout=30).json():
            requests.delete(f"{self.url}/patients/{patient}", auth=(USER, PASSWORD), timeout=30).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(folder: Path, port: int) -> Orthanc:
    storage = folder / "storage"
    storage.mkdir(parents=True)
    config = {
        "Name": "conference-test-pacs",
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "HttpPort": port,
        "HttpBindAddress": "127.0.0.1",  # not a config key in older Orthancs: harmless there (loopback-only below)
        "RemoteAccessAllowed": False,
        "DicomServerEnabled": False,
        "DicomPort": 0,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD},
        "Plugins": [str(DICOMWEB_PLUGIN)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
        "StorageCompression": False,
        "ConcurrentJobs": 1,
        "HttpThreadsCount": 4,
    }
    path = folder / "orthanc.json"
    path.write_text(json.dumps(config))
    with open(folder / "orthanc.log", "wb") as log:
        process = subprocess.Popen([str(ORTHANC), str(path)], stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("Orthanc stopped: " + (folder / "orthanc.log").read_text()[-2000:])
        try:
            if requests.get(url + "/system", auth=(USER, PASSWORD), timeout=2).status_code == 200:
                return Orthanc(url=url, process=process)
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError("Orthanc did not start within 60 s: " + (folder / "orthanc.log").read_text()[-2000:])


def cleanup(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
