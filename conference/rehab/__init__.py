from flask import Blueprint

bp = Blueprint("rehab", __name__, url_prefix="/rehab")
