from flask import Blueprint

bp = Blueprint("minutes", __name__, url_prefix="/minutes")
