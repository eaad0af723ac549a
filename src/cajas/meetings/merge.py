"""Two phones, one meeting: how a change to a member's line made on one phone meets what the
other phone already sent. Pure: plain values in, plain values out (docs/offline.md, "Two
phones").

Each change names the fields it changes, the value it sets and the value the phone believed
the server held when the change was made (its *base*). For each field:

- the server holds the phone's new value already → nothing to do;
- the server still holds the base → nobody else changed it: the new value is written;
- the server holds a third value → the other phone changed the same field to something else:
  a **conflict**, left as it is on the server and shown to the treasurer to choose.

Fields the change does not name are never touched, so two phones editing different members,
or different fields of the same member (one the attendance, the other the shares), merge
without asking anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The fields of a line a phone may change, in the order the screen shows them.
ROW_FIELDS = ("status", "late", "shares", "fund")

RowValue = str | bool | int


@dataclass(frozen=True)
class FieldConflict:
    field: str
    theirs: RowValue  # what the server holds (the other phone's value)
    mine: RowValue  # what this phone wanted

    def as_dict(self) -> dict[str, RowValue]:
        return {"field": self.field, "theirs": self.theirs, "mine": self.mine}


@dataclass(frozen=True)
class RowMerge:
    values: dict[str, RowValue]  # the line to write: the server's, with the fields merged in
    written: list[str] = field(default_factory=list)  # fields this change sets
    conflicts: list[FieldConflict] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.written)


def row_merge(
    *,
    current: Mapping[str, RowValue],
    base: Mapping[str, RowValue],
    mine: Mapping[str, RowValue],
) -> RowMerge:
    """Merge ``mine`` (the fields a phone changed) into ``current`` (the line on the server),
    given ``base`` (what the phone believed the server held for those fields)."""
    values = dict(current)
    written: list[str] = []
    conflicts: list[FieldConflict] = []
    for name in ROW_FIELDS:
        if name not in mine:
            continue
        now, wanted = current[name], mine[name]
        if now == wanted:
            continue
        if base.get(name) != now:  # no base given: nothing proves the field is unchanged
            conflicts.append(FieldConflict(name, now, wanted))
            continue
        values[name] = wanted
        written.append(name)
    return RowMerge(values, written, conflicts)


def line_normal(values: Mapping[str, RowValue]) -> dict[str, RowValue]:
    """A line as the sheet stores it: only a member who is present can be late."""
    line = dict(values)
    if line.get("status") != "present":
        line["late"] = False
    return line
