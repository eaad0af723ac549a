"""The specs' fast path (``Spec.ok``) never passes a value that ``Spec.check`` would report:
every spec of the book's shape, over good and bad values of every kind."""

from __future__ import annotations

import io
import json
from typing import Any

from cajas.books.format import ImportErrors
from cajas.books.importer import shape
from cajas.books.importer.spec import Anything, Obj, Row, Seq, Spec
from cajas.books.sample import sample_book_write

H = "a" * 64
VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2**31,
    2**63,
    10**50,
    1.5,
    "",
    " ",
    "a",
    "A",
    "aa-b_c",
    "x" * 201,
    "a\nb",
    "a\x00",
    "a\u2028",
    "\ud800",
    "\x85",
    H,
    H.upper(),
    H[:63],
    H + "a",
    "é" * 10,
    "share_purchase",
    "reversal",
    "present",
    "1101",
    "2025-01-31",
    "2025-02-30",
    "1899-12-31",
    "2201-01-01",
    "٢٠٢٥-01-01",
    "2025-01-01T10:00:00+00:00",
    "2025-01-01T10:00:00",
    "2025-01-01 10:00:00.123456-05:00",
    "1.50",
    "1.505",
    "-1",
    "EC",
    "ec",
    [],
    [1],
    ["1101", 500, 0],
    ["1101", 0, 0],
    ["1101", True, 0],
    ["1101", 500],
    [["1101", 500, 0]],
    {},
    {"a": 1},
]


def specs(spec: Spec) -> list[Spec]:
    found = [spec]
    if isinstance(spec, Obj):
        for child in spec.fields.values():
            found += specs(child)
    elif isinstance(spec, Seq):
        found += specs(spec.item)
    elif isinstance(spec, Row):
        for child in spec.items:
            found += specs(child)
    return found


def test_ok_implies_check_passes() -> None:
    every = [s for value in vars(shape).values() if isinstance(value, Spec) for s in specs(value)]
    assert len(every) > 100
    for spec in every:
        candidates = list(VALUES)
        if isinstance(spec, Obj):  # a good element and each of its values spoiled in turn
            good = dict.fromkeys(spec.fields) | dict.fromkeys(spec.required, 1)
            candidates += [good] + [good | {key: v} for key in spec.fields for v in VALUES[:30]]
        for value in candidates:
            errs = ImportErrors()
            passed = spec.check(value, "$", errs)
            if spec.ok(value):
                assert passed and not errs.errors, (spec, value)
            elif not isinstance(spec, Anything):
                fresh = ImportErrors()
                assert spec.check(value, "$", fresh) == passed  # ok() changes nothing else


def test_journal_entry_of_a_real_book_takes_the_fast_path() -> None:
    entry = {
        "seq": 1,
        "date": "2025-01-06",
        "kind": "share_purchase",
        "memo": "",
        "key": "m:1:1",
        "member": 1,
        "meeting": 1,
        "reverses": None,
        "reason": "",
        "recorded_by": "import",
        "recorded_at": "2025-01-06T10:00:00.000000+00:00",
        "digest": H,
        "prev_hash": H,
        "hash": H,
        "lines": [["1101", 500, 0], ["2101.0001", 0, 500]],
    }
    assert shape.ENTRY.ok(entry)
    assert not shape.ENTRY.ok(entry | {"hash": H.upper()})
    assert not shape.ENTRY.ok(entry | {"lines": [["1101", 500, 0], ["2101.0001", 0, -500]]})


def test_the_compiled_fast_path_answers_as_the_interpreted_one() -> None:
    # Obj.ok is compiled into one function (importer/compiled.py); Obj.ok as written is the reference.
    objects = [s for value in vars(shape).values() if isinstance(value, Spec) for s in specs(value)]
    objects = [s for s in objects if isinstance(s, Obj)]
    assert len(objects) > 15
    for spec in objects:
        good = dict.fromkeys(spec.fields) | dict.fromkeys(spec.required, 1)
        candidates = list(VALUES) + [good] + [good | {k: v} for k in spec.fields for v in VALUES]
        for value in candidates:
            assert spec.ok(value) == Obj.ok(spec, value), (spec, value, spec.ok.__doc__)


def test_the_compiled_fast_path_passes_every_element_of_a_generated_book() -> None:
    out = io.StringIO()
    sample_book_write(out, meetings=3, members=12)
    book = json.loads(out.getvalue())
    for section, spec in (("meetings", shape.MEETING), ("journal", shape.ENTRY)):
        for element in book[section]:
            assert spec.ok(element) and Obj.ok(spec, element), (section, element)
    assert shape.DOCUMENT.ok(book) == Obj.ok(shape.DOCUMENT, book)
