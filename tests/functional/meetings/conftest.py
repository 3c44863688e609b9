import pytest


@pytest.fixture
def team(make_user):
    """A coordinator, a chair (orthopaedic surgeon) and two more specialists; modules may define their own."""
    coordinator = make_user("coordinator")[0]
    chair = make_user("specialist", "orthopaedic_surgeon", name="Erik Ordförande")[0]
    others = [make_user("specialist", s)[0] for s in ("endocrinologist", "physiotherapist")]
    return coordinator, chair, others
