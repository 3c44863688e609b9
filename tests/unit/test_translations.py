"""Every message in the code and templates has a Swedish translation (the unit works in Swedish)."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHOD_MAP = [("conference/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]


def _messages_in_code() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS, options_map={"templates/**.html": {}, "templates/**.txt": {}}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_swedish_translation():
    with open(ROOT / "conference/translations/sv/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle, locale="sv")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and "fuzzy" not in m.flags and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    messages = _messages_in_code()
    assert len(messages) > 50
    missing = sorted(messages - translated)
    assert not missing, f"{len(missing)} messages without Swedish translation: {missing[:20]}"
