"""One enum type that carries its stored value and its label for people: `Side.left.value == "left"`,
`Side.left.label == "Left"` (translated when shown). New enums use it instead of an enum plus a label dictionary."""

from __future__ import annotations

import enum
from typing import Any


class LabelledEnum(str, enum.Enum):
    """Members are written `name = "stored value", _l("Label")`; the label is looked up in the reader's language
    each time it is shown (lazy gettext)."""

    _label: Any

    def __new__(cls, value: str, label: Any = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        return str(self._label) if self._label is not None else self.value

    @classmethod
    def label_of(cls, value: str) -> str:
        """The label of a stored value, or the value itself for one this version no longer knows (old rows)."""
        try:
            return cls(value).label
        except ValueError:
            return value
