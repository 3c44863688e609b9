import shutil

import pytest


@pytest.fixture(autouse=True)
def _empty_image_store(app):
    """The image store is the session's, like the database: emptied after every test."""
    yield
    shutil.rmtree(app.config["IMAGE_STORE"], ignore_errors=True)
