"""Malformed books: every one is refused with listed errors, writes nothing, never raises
anything but ``ImportErrors``; the clean book they come from still imports and verifies.

The base is a real exported book (six members, three meetings, a loan voted and handed over,
a share-out at an assembly). The failure classes found by hand come first (two presidents, NUL
in a name, an unknown status, a 1 MB document number, invalid UTF-8/UTF-16, deep nesting,
``"journal": null``, a debit as a string, share value 0…), then every field of the first
element of every section set to values no field accepts, then hypothesis's random mutations.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cajas.books.export import book_export
from cajas.books.importer import DATABASE_REFUSED, ImportErrors, book_import, book_parse
from cajas.meetings.items import disbursement_record
from cajas.meetings.opening import meeting_open
from cajas.org.models import Caja
from cajas.shareouts.services import shareout_execute
from tests.factories import APPLY, caja_with_savings, db_snapshot, run, voted_loan

pytestmark = pytest.mark.django_db(transaction=True)

Document = dict[str, Any]
WRONG = [{"x": 1}, 2**64, "\x00", 1.5]
"""Values no field of a book accepts: an object, a number beyond 64 bits, NUL, a float."""


def _build_book() -> Document:
    caja = caja_with_savings()
    loan = voted_loan(caja, amount="20")
    run(
        caja,
        APPLY + dt.timedelta(days=1),
        during=[lambda m: disbursement_record(meeting_id=m.pk, loan_id=loan.pk)],
    )
    assembly = meeting_open(
        caja_id=caja.pk, date=APPLY + dt.timedelta(days=2), opened_by="t", kind="assembly"
    )
    shareout_execute(meeting_id=assembly.pk, executed_by="tesorera")
    document = book_export(caja=caja)
    call_command("flush", interactive=False)
    return document


class Tally:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.wrongly_accepted: list[str] = []
        self.tracebacks: list[str] = []

    def refused(self, name: str, attempt: Callable[[], Any], *, must_refuse: bool = True) -> None:
        """Run ``attempt`` (an import) inside a transaction that is always rolled back."""
        self.counts["tried"] += 1
        before = db_snapshot()
        with transaction.atomic():
            try:
                attempt()
            except ImportErrors as exc:
                self.counts["refused"] += 1
                assert exc.errors, name
                assert all(" / " in m for _p, m in exc.errors), (name, exc.errors)
                assert not any(DATABASE_REFUSED in m for _p, m in exc.errors), (name, exc.errors)
                assert db_snapshot() == before, name
                return
            except Exception as exc:  # what this test exists to catch
                self.tracebacks.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
                return
            finally:
                transaction.set_rollback(True)
        self.counts["accepted"] += 1
        if must_refuse:
            self.wrongly_accepted.append(name)

    def report(self, title: str) -> None:
        print(
            f"{title}: {self.counts['tried']} tried, {self.counts['refused']} refused, "
            f"{len(self.tracebacks)} tracebacks, {len(self.wrongly_accepted)} wrongly accepted, "
            f"{self.counts['accepted']} accepted"
        )
        assert self.tracebacks == [], "\n".join(self.tracebacks)
        assert self.wrongly_accepted == [], "\n".join(self.wrongly_accepted)


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Document], None]:
    def change(doc: Document) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(*path: Any) -> Callable[[Document], None]:
    def change(doc: Document) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _hand_written(base: Document) -> Iterator[tuple[str, Callable[[Document], None]]]:
    entry = next(i for i, e in enumerate(base["journal"]) if len(e["lines"]) == 2)
    last = len(base["journal"]) - 1
    yield "two presidents", _set(("members", 1, "role"), "president")
    yield "two treasurers", _set(("members", 0, "role"), "treasurer")
    yield "NUL in a name", _set(("members", 0, "person", "given_names"), "Ana\x00")
    yield "newline in a name", _set(("members", 0, "person", "family_names"), "P\nérez")
    yield "lone surrogate", _set(("members", 0, "person", "given_names"), "A\ud800")
    yield "blank name", _set(("members", 0, "person", "given_names"), "   ")
    yield "unknown caja status", _set(("caja", "status"), "dormant")
    yield "unknown mobility", _set(("members", 0, "person", "mobility_status"), "tourist")
    yield "1 MB document number", _set(("members", 0, "person", "document_number"), "9" * 2**20)
    yield "name too long", _set(("members", 0, "person", "given_names"), "a" * 101)
    yield "notes too long", _set(("meetings", 0, "notes"), "a" * 20_000)
    yield "journal null", _set(("journal",), None)
    yield "members an object", _set(("members",), {})
    yield "meetings a string", _set(("meetings",), "x")
    yield "caja a list", _set(("caja",), [])
    yield "debit as a string", _set(("journal", entry, "lines", 0, 1), "1000")
    yield "debit as a float", _set(("journal", entry, "lines", 0, 1), 10.0)
    yield "debit as a bool", _set(("journal", entry, "lines", 0, 1), True)
    yield "negative debit", _set(("journal", entry, "lines", 0, 1), -100)
    yield "huge debit", _set(("journal", entry, "lines", 0, 1), 2**70)
    yield "debit above MAX", _set(("journal", entry, "lines", 0, 1), 10**12)
    yield "line too short", _set(("journal", entry, "lines", 0), ["1101", 100])
    yield "unknown account", _set(("journal", entry, "lines", 0, 0), "9999")
    yield "share value 0", _set(("bylaws", 0, "share_value_cents"), 0)
    yield "share value string", _set(("bylaws", 0, "share_value_cents"), "500")
    yield "max members 0", _set(("bylaws", 0, "max_members"), 0)
    yield "rate not a number", _set(("bylaws", 0, "loan_monthly_rate_percent"), "abc")
    yield "rate NaN", _set(("bylaws", 0, "loan_monthly_rate_percent"), "NaN")
    yield "rate of 5000 digits", _set(("bylaws", 0, "loan_monthly_rate_percent"), 10**5000)
    yield "principal of 5000 digits", _set(("loans", 0, "principal_cents"), 10**5000)
    yield "wrong hash", _set(("journal", last, "hash"), "a" * 64)
    yield "hash not hex", _set(("journal", 0, "hash"), "z" * 64)
    yield "wrong prev hash", _set(("journal", 1, "prev_hash"), "b" * 64)
    yield "wrong digest", _set(("journal", 0, "digest"), "c" * 64)
    yield "memo changed", _set(("journal", entry, "memo"), "otra cosa")
    yield "chain head wrong", _set(("chain_head", "hash"), "d" * 64)
    yield "chain head seq", _set(("chain_head", "seq"), 1)
    yield "seq repeated", _set(("journal", 1, "seq"), 1)
    yield "key repeated", _set(("journal", 1, "key"), base["journal"][0]["key"])
    yield "reverses forward", _set(("journal", 0, "reverses"), 3)
    yield "unknown entry kind", _set(("journal", 0, "kind"), "gift")
    yield "unknown item kind", _set(("meetings", 0, "items", 0, "kind"), "gift")
    yield "unknown account kind", _set(("accounts", 0, "kind"), "gift")
    yield "unknown role", _set(("members", 3, "role"), "king")
    yield "item amount 0", _set(("meetings", 0, "items", 0, "amount_cents"), 0)
    yield "date invalid", _set(("journal", 0, "date"), "2025-13-01")
    yield "date compact", _set(("journal", 0, "date"), "20250106")
    yield "date far past", _set(("caja", "founded_on"), "0001-01-01")
    yield "entry before founding", _set(("journal", 0, "date"), "2024-01-01")
    yield "timestamp without zone", _set(("journal", 0, "recorded_at"), "2025-01-06T10:00:00")
    yield "meetings out of order", _set(("meetings", 1, "date"), "2024-12-01")
    yield "cycle ends before it starts", _set(("cycles", 0, "ended_on"), "2020-01-01")
    yield "left before joining", _set(("members", 4, "left_on"), "2020-01-01")
    yield "a child", _set(("members", 1, "person", "birth_date"), "2020-01-01")
    yield "duplicate member", _set(("members", 1, "number"), 1)
    yield (
        "duplicate person",
        _set(("members", 1, "person", "code"), base["members"][0]["person"]["code"]),
    )
    yield "duplicate attendance", _set(("meetings", 0, "attendance", 1, 0), 1)
    yield "attendance unknown member", _set(("meetings", 0, "attendance", 0, 0), 99)
    yield "unknown cycle", _set(("meetings", 0, "cycle"), 9)
    yield "loan principal string", _set(("loans", 0, "principal_cents"), "6000")
    yield "loan principal 0", _set(("loans", 0, "principal_cents"), 0)
    yield "loan vote invalid", _set(("loans", 0, "votes", 0, 1), "maybe")
    yield "loan vote repeated", _set(("loans", 0, "votes", 1, 0), base["loans"][0]["votes"][0][0])
    yield "installment short", _set(("loans", 0, "installments", 0), [1, 1])
    yield "installment date", _set(("loans", 0, "installments", 0, 2), "soon")
    yield "shareout value", _set(("shareouts", 0, "value_per_share"), "abc")
    yield "payout repeated", _set(("shareouts", 0, "payouts", 1, 0), 1)
    yield "shareout meeting unknown", _set(("shareouts", 0, "meeting"), 99)
    yield "format", _set(("format",), "other")
    yield "version", _set(("version",), 2)
    yield "version string", _set(("version",), "1")
    for key in [
        "program",
        "partner",
        "territory",
        "caja",
        "bylaws",
        "members",
        "cycles",
        "meetings",
        "journal",
    ]:
        yield f"missing {key}", _delete(key)
    yield "missing member role", _delete("members", 0, "role")
    yield "missing entry lines", _delete("journal", 0, "lines")
    yield "missing loan purpose", _delete("loans", 0, "purpose")


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in the first element of each section (and the top-level objects)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        yield from _leaves(value[0], (*path, 0))
    if path:
        yield path


def _bytes_cases(text: str) -> Iterator[tuple[str, bytes]]:
    data = text.encode()
    yield "truncated", data[: len(data) // 2]
    yield "empty", b""
    yield "BOM", b"\xef\xbb\xbf" + data
    yield "UTF-16", text.encode("utf-16")
    yield "UTF-16 without BOM", text.encode("utf-16-le")
    yield "invalid UTF-8", data.replace(b'"Ana"', b'"An\xff"', 1)
    yield "Latin-1", text.replace("Pérez", "Pérez").encode("latin-1", "replace")
    yield "deep nesting", b"[" * 100_000 + b"]" * 100_000
    yield "deep objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    yield (
        "nested inside a book",
        data.replace(b'"notes": ""', b'"notes": ' + b"[" * 40 + b"]" * 40, 1),
    )
    yield "duplicated key", data.replace(b'"format"', b'"format": "x", "format"', 1)
    yield "huge number", data.replace(b'"version": 1', b'"version": 1e999999', 1)
    yield "long integer", data.replace(b'"version": 1', b'"version": 1' + b"0" * 5000, 1)
    yield "NaN", data.replace(b'"version": 1', b'"version": NaN', 1)
    yield "null document", b"null"
    yield "a list", b"[]"
    yield "a string", b'"cajas-book"'


def test_malformed_books_are_refused_and_the_clean_one_imports() -> None:
    base = _build_book()
    assert base["loans"] and base["shareouts"] and len(base["meetings"]) >= 3
    tally = Tally()
    for name, change in _hand_written(base):
        doc = copy.deepcopy(base)
        change(doc)
        tally.refused(name, lambda doc=doc: book_import(doc))
    tally.report("hand-written")
    fields = Tally()
    for path in _leaves(base):
        for value in WRONG:
            doc = copy.deepcopy(base)
            _set(path, value)(doc)
            fields.refused(f"{path} = {value!r:.20}", lambda doc=doc: book_import(doc))
    fields.report("every field")
    assert fields.counts["tried"] > 500
    # null or absent where a field may be optional: refused or accepted, never a crash and
    # never a database error (a NOT NULL column reached with None)
    optional = Tally()
    for path in _leaves(base):
        for change in (_set(path, None), _delete(*path)):
            doc = copy.deepcopy(base)
            change(doc)
            optional.refused(
                f"{path} null/absent", lambda doc=doc: book_import(doc), must_refuse=False
            )
    optional.report("null or absent")
    raw = Tally()
    text = json.dumps(base, ensure_ascii=False, indent=1)
    for name, data in _bytes_cases(text):
        raw.refused(name, lambda data=data: book_import(book_parse(data)))
    raw.report("bytes")
    caja = book_import(book_parse(text.encode()))
    assert book_export(caja=caja) == base
    call_command("verify", caja=caja.code)


def test_one_bad_debit_is_reported_once_not_as_a_broken_chain() -> None:
    base = _build_book()
    entry = 3
    doc = copy.deepcopy(base)
    doc["journal"][entry]["lines"][0][1] = "1000"
    with pytest.raises(ImportErrors) as raised:
        book_import(doc)
    assert raised.value.errors == [
        (
            f"$.journal[{entry}].lines[0][1]",
            "se esperaba un entero, no texto / a string / expected an integer",
        ),
    ]
    doc = copy.deepcopy(base)
    doc["journal"][entry]["memo"] = "cambiado"
    with pytest.raises(ImportErrors) as raised:
        book_import(doc)
    assert [p for p, _m in raised.value.errors] == [f"$.journal[{entry}].digest"]


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def _random_mutations(
    data: st.DataObject, base: Document, places: list[tuple[Any, ...]], tally: Tally
) -> None:
    doc = copy.deepcopy(base)
    path = data.draw(st.sampled_from(places))
    value = data.draw(
        st.one_of(
            st.sampled_from(WRONG),
            st.integers(min_value=2**63),
            st.integers(max_value=-(10**13)),
            st.floats(allow_nan=False),
            st.text(min_size=1).map(lambda s: s + "\x07"),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        )
    )
    _set(path, value)(doc)
    tally.refused(f"{path} = {value!r:.30}", lambda: book_import(doc))
    text = json.dumps(base)
    at = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    byte = data.draw(st.integers(min_value=0, max_value=255))
    flipped = text.encode()[:at] + bytes([byte]) + text.encode()[at + 1 :]
    tally.refused(
        f"byte {at} = {byte}", lambda: book_import(book_parse(flipped)), must_refuse=False
    )


def test_random_mutations_never_raise_and_never_slip_through() -> None:
    base = _build_book()
    tally = Tally()
    _random_mutations(base=base, places=list(_leaves(base)), tally=tally)
    tally.report("hypothesis")
    assert not Caja.objects.exists()


def test_each_failure_class_of_the_audit_names_its_place_and_cause(tmp_path: Any) -> None:
    """The 12 books of the audit that were accepted or crashed: each refused at its place."""
    base = _build_book()
    debit = ("journal", 3, "lines", 0, 1)
    expected = [
        (("members", 1, "role"), "president", "$.members[1].role", "already has a president: Ana"),
        (
            ("members", 0, "person", "given_names"),
            "A\x00",
            "$.members[0].person.given_names",
            "U+0000",
        ),
        (("caja", "status"), "dormant", "$.caja.status", "unknown value"),
        (
            ("members", 0, "person", "mobility_status"),
            "x",
            "$.members[0].person.mobility_status",
            "valor desconocido",
        ),
        (
            ("members", 0, "person", "document_number"),
            "9" * 2**20,
            "$.members[0].person.document_number",
            "the maximum is 100",
        ),
        (("journal",), None, "$.journal", "must not be null"),
        (debit, "1000", "$.journal[3].lines[0][1]", "expected an integer"),
        (("bylaws", 0, "share_value_cents"), 0, "$.bylaws[0].share_value_cents", "out of range"),
    ]
    for path, value, place, words in expected:
        doc = copy.deepcopy(base)
        _set(path, value)(doc)
        before = db_snapshot()
        with pytest.raises(ImportErrors) as raised:
            book_import(doc)
        assert db_snapshot() == before
        assert [p for p, _m in raised.value.errors] == [place], raised.value.errors
        assert words in raised.value.errors[0][1]
    text = json.dumps(base)
    for data, words in [
        (text.encode("utf-16"), "BOM"),
        (text.encode()[:100] + b"\xff" + text.encode()[100:], "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
    ]:
        source = tmp_path / "book.json"
        source.write_bytes(data)
        with pytest.raises(CommandError, match="nothing was imported"):
            call_command("book", "import", str(source), stderr=io.StringIO())
        with pytest.raises(ImportErrors) as raised:
            book_parse(data)
        assert words in str(raised.value)
    assert not Caja.objects.exists()
