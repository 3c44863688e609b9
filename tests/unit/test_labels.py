"""Enums carry their labels (conference.labels.LabelledEnum): no enum is labelled by a separate dictionary, so a
value and its label cannot drift apart, and the stored values stay what the database holds."""

from __future__ import annotations

import enum
import importlib
import pkgutil

import pytest
from flask_babel.speaklater import LazyString

import conference
from conference.labels import LabelledEnum

# Modules that start something when imported (an application, a development server), not definitions.
NOT_IMPORTED = {"conference.wsgi", "conference.devserver"}


def _modules():
    for info in pkgutil.walk_packages(conference.__path__, "conference."):
        if info.name not in NOT_IMPORTED and ".translations" not in info.name:
            yield importlib.import_module(info.name)


def _is_label_dictionary(name: str, value) -> bool:
    """Keyed by enum members and giving messages for people (lazy translations, or named *_LABELS); a mapping of
    members to codes (iCalendar parameters, FHIR systems, DICOM side markers) is not a label dictionary."""
    if not isinstance(value, dict) or not any(isinstance(key, enum.Enum) for key in value):
        return False
    return name.endswith("_LABELS") or any(isinstance(v, LazyString) for v in value.values())


def test_no_module_labels_an_enum_with_a_dictionary():
    found = sorted(
        f"{module.__name__}.{name}"
        for module in _modules()
        for name, value in vars(module).items()
        if _is_label_dictionary(name, value)
    )
    assert not found, f"label dictionaries keyed by enum members (make the enum a LabelledEnum): {found}"


def _shown_enums():
    from conference.cases.models import CaseStatus, GrowthPattern, MeasurementMethod, Priority, Side
    from conference.imaging.models import ImageKind
    from conference.letters.models import Answer, LetterActionKind, LetterStatus
    from conference.meetings.models import AttendanceStatus, PatientResponse, Treatment, WeightBearing
    from conference.patients.models import Sex
    from conference.people.models import Role, Specialty

    return {
        CaseStatus: ["referred", "ready", "listed", "discussed", "decided", "follow_up", "closed"],
        Side: ["left", "right", "bilateral"],
        Priority: ["routine", "soon", "urgent"],
        # "Not known" first: a new referral must not silently choose Paley's congenital method.
        GrowthPattern: ["unknown", "congenital", "developmental"],
        MeasurementMethod: ["blocks", "tape", "standing_radiograph", "scanogram", "ct_scanogram", "eos"],
        AttendanceStatus: ["present", "remote", "absent"],
        Treatment: [
            "no_treatment",
            "insoles",
            "epiphysiodesis",
            "lengthening_frame",
            "lengthening_nail",
            "deformity_correction",
            "deformity_correction_lengthening",
            "further_investigation",
            "rediscuss",
        ],
        PatientResponse: ["accepted", "will_be_told", "declined"],
        WeightBearing: ["none", "touch", "partial", "as_tolerated", "full"],
        Role: ["admin", "coordinator", "specialist"],
        Specialty: [
            "orthopaedic_surgeon",
            "endocrinologist",
            "clinical_geneticist",
            "physiotherapist",
            "occupational_therapist",
            "radiologist",
            "nurse",
        ],
        Sex: ["female", "male", "unknown"],
        LetterStatus: ["draft", "sent", "superseded"],
        Answer: ["accepts", "declines", "wants_to_talk", "no_answer"],
        LetterActionKind: ["no_answer", "new_letter"],
        ImageKind: ["long_leg_ap", "lateral", "scanogram", "eos", "photo", "letter", "report"],
    }


@pytest.mark.parametrize("enum_cls", list(_shown_enums()), ids=lambda e: e.__name__)
def test_every_enum_shown_to_people_carries_its_labels(enum_cls):
    """Values, names and order as stored and offered (the order is the order of the choices); each member has a
    label of its own, not its value."""
    assert issubclass(enum_cls, LabelledEnum)
    assert [m.value for m in enum_cls] == _shown_enums()[enum_cls]
    assert all(m.name == m.value for m in enum_cls)
    for member in enum_cls:
        assert member._label is not None, member
        assert isinstance(member.label, str) and member.label


def test_labels_are_the_catalogs_messages(app):
    """The labels are the same messages as before (the catalogs translate them), shown in the reader's language."""
    from flask_babel import force_locale

    from conference.cases.models import GrowthPattern, Side
    from conference.meetings.models import Treatment

    with app.test_request_context():
        assert Side.bilateral.label == "Both"
        assert GrowthPattern.unknown.label == "Not known"
        assert Treatment.insoles.label == "Insoles / shoe raise"
        with force_locale("sv"):
            assert Side.left.label != "Left"
            assert Treatment.rediscuss.label != "Re-discuss"


def test_a_value_this_version_no_longer_knows_is_shown_as_stored():
    from conference.people.models import Specialty

    assert Specialty.label_of("orthopaedic_surgeon") == str(Specialty.orthopaedic_surgeon.label)
    assert Specialty.label_of("podiatrist") == "podiatrist"
