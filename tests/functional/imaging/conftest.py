import shutil

import pytest

from conference.extensions import db
from tests.functional.cases.helpers import make_ready_case


@pytest.fixture(autouse=True)
def _empty_image_store(app):
    """The image store is the session's, like the database: emptied after every test."""
    yield
    shutil.rmtree(app.config["IMAGE_STORE"], ignore_errors=True)


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory):
    """A real Orthanc with DICOMweb for the session; skipped (with the reason) only where it is not installed."""
    from tests.conftest import free_port
    from tests.functional.imaging import orthanc as pacs

    reason = pacs.available()
    if reason:
        pytest.skip(reason)
    server = pacs.start(tmp_path_factory.mktemp("orthanc"), free_port())
    yield server
    server.stop()


@pytest.fixture
def pacs(app, orthanc):
    """The app pointed at the Orthanc (emptied after the test)."""
    from tests.functional.imaging.orthanc import PASSWORD, USER

    saved = {key: app.config.get(key) for key in ("PACS_DICOMWEB_URL", "PACS_USERNAME", "PACS_PASSWORD")}
    app.config.update(PACS_DICOMWEB_URL=orthanc.dicomweb, PACS_USERNAME=USER, PACS_PASSWORD=PASSWORD)
    yield orthanc
    app.config.update(saved)
    orthanc.clear()


@pytest.fixture
def case_for(app):
    def _make(user_id: int, n: int = 0):
        with app.app_context():
            case = make_ready_case(user_id, n)
            db.session.commit()
            return case.id

    return _make
