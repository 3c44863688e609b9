"""Images and documents of a case: uploads (DICOM, PNG/JPEG, PDF) kept in a content-addressed store outside the
database, imports from the hospital's PACS over DICOMweb, derivatives for the viewer, and (imaging.measurements)
landmarks and measurements on a radiograph."""

from flask import Blueprint

bp = Blueprint("imaging", __name__, url_prefix="/imaging")
