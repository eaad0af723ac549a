"""Big books in bounded memory: the file is read a chunk at a time (``books/reader.py``), its
meetings and journal spooled to disk, the journal written as it is checked, and the export
written a chunk of meetings or entries at a time (``books/export.py`` ``book_write``).

A generated book of 4,400 entries goes through the streaming path with a bounded
``tracemalloc`` peak; export → import → export gives the same file; the streamed export is the
whole-document export character for character; the streaming reader refuses what
``book_parse`` refuses, wherever the chunks split the file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import threading
import tracemalloc
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from cajas.books import reader
from cajas.books.export import book_export, book_write
from cajas.books.format import book_parse
from cajas.books.importer import ImportErrors, apart, book_import_file, journal, meetings
from cajas.books.reader import Deferred, Spool, book_read
from cajas.books.sample import sample_book_write
from cajas.ledger.verify import verify_caja
from cajas.meetings.items import disbursement_record
from cajas.meetings.opening import meeting_open
from cajas.org.models import Caja
from cajas.shareouts.services import shareout_execute
from tests.factories import APPLY, caja_with_savings, db_snapshot, run, voted_loan

pytestmark = pytest.mark.django_db(transaction=True)

MEMORY_BOUND = 24 * 1024 * 1024
"""Python allocations while importing 4,400 entries (tracemalloc peak); the whole-document path
held the parsed document, every entry's checked form and the written rows at once."""


def _generated(tmp_path: Path, meetings: int) -> Path:
    path = tmp_path / f"generated-{meetings}.json"
    with path.open("w", encoding="utf-8") as out:
        sample_book_write(out, meetings=meetings, members=50)
    return path


def _import_peak(path: Path) -> tuple[Caja, int]:
    tracemalloc.start()
    try:
        caja = book_import_file(path)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caja, peak


def _export(caja: Caja, path: Path) -> str:
    with path.open("w", encoding="utf-8") as out:
        book_write(caja, out)
    return path.read_text(encoding="utf-8")


def test_a_generated_book_imports_through_the_stream_in_bounded_memory(tmp_path: Path) -> None:
    caja, peak = _import_peak(_generated(tmp_path, 40))
    assert caja.last_seq == 40 * 110 and verify_caja(caja) == []
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.1f} MiB"
    first = _export(caja, tmp_path / "first.json")
    call_command("flush", interactive=False)
    again, peak_again = _import_peak(tmp_path / "first.json")  # a book with every hash
    assert verify_caja(again) == [] and peak_again < MEMORY_BOUND
    assert _export(again, tmp_path / "second.json") == first


def test_memory_does_not_grow_with_the_number_of_meetings(tmp_path: Path) -> None:
    # 40 meetings (4,400 entries) already fill the import's chunks; a first import of 10
    # warms what a process allocates once (measured in a warm process: 10 meetings 3.2 MB,
    # 40 6.4 MB, 160 7.7 MB), so 40 against 120 compares books past that.
    _import_peak(_generated(tmp_path, 10))
    call_command("flush", interactive=False)
    _caja, small = _import_peak(_generated(tmp_path, 40))
    call_command("flush", interactive=False)
    _caja, large = _import_peak(_generated(tmp_path, 120))
    assert large < small * 1.5 + 2 * 1024 * 1024, (small, large)


def _real_book() -> Caja:
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
    return caja


def test_the_streamed_export_is_the_whole_document_character_for_character(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    caja = _real_book()
    whole = json.dumps(book_export(caja=caja), ensure_ascii=False, indent=1) + "\n"
    out = io.StringIO()
    book_write(caja, out)
    assert out.getvalue() == whole
    # Read back in chunks of 7 bytes: every value straddles a chunk boundary somewhere.
    monkeypatch.setattr(reader, "_CHUNK", 7)
    path = tmp_path / "book.json"
    path.write_text(whole, encoding="utf-8")
    streamed = book_read(path)
    assert isinstance(streamed["journal"], Spool)
    as_lists = {k: list(v) if isinstance(v, Spool) else v for k, v in streamed.items()}
    assert as_lists == book_parse(whole.encode())


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t.replace('"kind": "share_purchase"', '"kind": "x", "kind": "y"', 1), "dupl"),
        (lambda t: t.replace('"memo": ""', '"memo": "\\ud800"', 1), "control"),
        (lambda t: t.replace('"memo": ""', '"memo": ' + "[" * 20 + "]" * 20, 1), "nested"),
        (lambda t: t.replace('"memo": ""', '"memo": ' + "9" * 50, 1), "too long"),
        (lambda t: t.replace('"memo": ""', '"memo": NaN', 1), "NaN"),
        (lambda t: t.replace('"memo": ""', '"memo": -Infinity', 1), "Infinity"),
        (lambda t: t.replace('"memo": ""', '"memo": 1.' + "0" * 45, 1), "too long"),
        # the constant comes before the broken syntax: the hooks' refusal is the one reported
        (lambda t: t.replace('"memo": ""', '"memo": NaN,,', 1), "NaN"),
        (lambda t: t[: len(t) // 2], "invalid JSON"),
        (lambda t: t + "{}", "invalid JSON"),
    ],
)
def test_the_stream_refuses_what_the_whole_document_reader_refuses(
    tmp_path: Path, change: object, words: str
) -> None:
    caja = _real_book()
    text = json.dumps(book_export(caja=caja), ensure_ascii=False, indent=1)
    call_command("flush", interactive=False)
    path = tmp_path / "book.json"
    path.write_text(change(text), encoding="utf-8")  # type: ignore[operator]
    before = db_snapshot()
    with pytest.raises(ImportErrors) as raised:
        book_import_file(path)
    assert words in str(raised.value), raised.value.errors
    assert db_snapshot() == before and not Caja.objects.exists()


def test_invalid_utf8_inside_the_journal_is_refused_with_its_byte(tmp_path: Path) -> None:
    caja = _real_book()
    data = json.dumps(book_export(caja=caja), ensure_ascii=False, indent=1).encode()
    at = data.index(b'"memo"', data.index(b'"journal"'))
    path = tmp_path / "book.json"
    path.write_bytes(data[:at] + b"\xff" + data[at:])
    with pytest.raises(ImportErrors, match=f"not UTF-8 \\(byte {at}\\)"):
        book_import_file(path)


# -- the journal checked in a second process ------------------------------------------------


def _forks(monkeypatch: pytest.MonkeyPatch, *, alone: bool = True) -> list[int]:
    """The pids of the checking processes the import starts (``apart`` forks once a book).

    ``cajas book import`` runs one thread, but a whole test run has others by the time it gets
    here (the browser's driver, the live server's: idle between tests), and ``apart`` checks
    inline where threads run. These tests stand for the command: they count as one thread
    (``test_where_other_threads_run_the_journal_is_checked_inline`` keeps the guard honest)."""
    if alone:
        monkeypatch.setattr(apart, "one_thread", lambda: True)
    pids: list[int] = []
    real_fork = apart.os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(apart.os, "fork", fork)
    return pids


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_the_second_process_writes_what_the_inline_check_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = _forks(monkeypatch)
    first = book_import_file(_generated(tmp_path, 12))  # 1,320 entries: past apart.MIN_ENTRIES
    assert len(pids) == 1 and _reaped(pids[0])
    book = _export(first, tmp_path / "book.json")  # every hash and time in it
    call_command("flush", interactive=False)
    apart_caja = book_import_file(tmp_path / "book.json")
    assert len(pids) == 2 and verify_caja(apart_caja) == []
    assert _export(apart_caja, tmp_path / "apart.json") == book
    call_command("flush", interactive=False)
    monkeypatch.setattr(apart, "apart_possible", lambda plan: False)
    inline_caja = book_import_file(tmp_path / "book.json")
    assert len(pids) == 2 and verify_caja(inline_caja) == []  # no fork this time
    assert _export(inline_caja, tmp_path / "inline.json") == book


def test_where_other_threads_run_the_journal_is_checked_inline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids, release = _forks(monkeypatch, alone=False), threading.Event()
    other = threading.Thread(target=release.wait)  # a web server's, a driver's
    other.start()
    try:
        assert not apart.one_thread()
        caja = book_import_file(_generated(tmp_path, 12))
    finally:
        release.set()
        other.join()
    assert pids == [] and verify_caja(caja) == []  # checked in this process, all written


def test_an_error_found_by_the_second_process_is_reported_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = json.loads(_generated(tmp_path, 12).read_text(encoding="utf-8"))
    document["journal"][1200]["lines"][0][0] = "9999"  # far into the journal: no such account
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    pids = _forks(monkeypatch)
    before = db_snapshot()
    with pytest.raises(ImportErrors) as apart_errors:
        book_import_file(path)
    assert len(pids) == 1 and _reaped(pids[0])
    assert db_snapshot() == before
    monkeypatch.setattr(apart, "apart_possible", lambda plan: False)
    with pytest.raises(ImportErrors) as inline_errors:
        book_import_file(path)
    assert apart_errors.value.errors == inline_errors.value.errors
    assert apart_errors.value.errors == [
        ("$.journal[1200].lines[0]", "cuenta inexistente / unknown account '9999'"),
        (
            "$.journal[1200].lines",
            "Un asiento necesita al menos dos líneas. / An entry needs at least two lines.",
        ),
    ]
    assert db_snapshot() == before


def test_a_failing_checker_or_writer_leaves_nothing_written_and_no_process_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = _generated(tmp_path, 12)
    pids = _forks(monkeypatch)
    before = db_snapshot()
    real = journal._check_running

    def broken_at_entry_1000(plan: object, rules: object, lines: object, path: str) -> None:
        if path == "$.journal[999]":
            raise KeyError("a bug in the check")
        real(plan, rules, lines, path)  # type: ignore[arg-type]

    monkeypatch.setattr(journal, "_check_running", broken_at_entry_1000)  # in the child too
    with pytest.raises(RuntimeError, match=r"checking process failed(.|\n)*a bug in the check"):
        book_import_file(book)
    assert db_snapshot() == before and _reaped(pids[-1])
    monkeypatch.setattr(journal, "_check_running", real)

    def writer_fails(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(meetings, "write_meetings", writer_fails)  # while the child checks
    with pytest.raises(OSError, match="disk full"):
        book_import_file(book)
    assert len(pids) == 2 and _reaped(pids[-1])
    assert db_snapshot() == before


# -- the journal read by the process that checks it (SQLite) -----------------------------------


def _spools(monkeypatch: pytest.MonkeyPatch) -> list[Spool]:
    made: list[Spool] = []
    real_init = Spool.__init__

    def init(self: Spool) -> None:
        real_init(self)
        made.append(self)

    monkeypatch.setattr(Spool, "__init__", init)
    return made


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL spools the journal")
def test_the_journal_last_in_the_file_is_read_by_its_checker_not_spooled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    caja = book_import_file(_generated(tmp_path, 12))
    book = _export(caja, tmp_path / "book.json")  # journal last, then chain_head
    call_command("flush", interactive=False)
    assert isinstance(book_read(tmp_path / "book.json", defer="journal")["journal"], Deferred)
    spools, pids = _spools(monkeypatch), _forks(monkeypatch)
    again = book_import_file(tmp_path / "book.json")
    assert len(spools) == 1 and len(pids) == 1  # the meetings' spool only; one checker
    assert verify_caja(again) == [] and _export(again, tmp_path / "again.json") == book


def test_a_section_after_the_journal_reads_the_book_again(tmp_path: Path) -> None:
    caja = book_import_file(_generated(tmp_path, 2))
    book = json.loads(_export(caja, tmp_path / "book.json"))
    call_command("flush", interactive=False)
    # accounts and members after the journal: what the first checks took as missing is there
    moved = {k: v for k, v in book.items() if k not in ("accounts", "members")}
    moved |= {"members": book["members"], "accounts": book["accounts"]}
    assert list(moved)[-3:] == ["chain_head", "members", "accounts"]
    (tmp_path / "moved.json").write_text(json.dumps(moved), encoding="utf-8")
    again = book_import_file(tmp_path / "moved.json")
    assert verify_caja(again) == [] and json.loads(_export(again, tmp_path / "a.json")) == book


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        (
            lambda d: d | {"chain_head": {"seq": "last", "hash": "x"}},
            ["$.chain_head.seq", "$.chain_head.hash"],
        ),
        (lambda d: {**d, "extra": 1, "chain_head": d["chain_head"]}, None),
    ],
)
def test_what_follows_a_deferred_journal_is_checked_as_in_a_whole_reading(
    tmp_path: Path, change: object, refused: list[str] | None
) -> None:
    caja = book_import_file(_generated(tmp_path, 2))
    book = json.loads(_export(caja, tmp_path / "book.json"))
    call_command("flush", interactive=False)
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(change(book)), encoding="utf-8")  # type: ignore[operator]
    before = db_snapshot()
    if refused is None:  # a key no reader knows is ignored, wherever it is
        assert verify_caja(book_import_file(path)) == []
        return
    with pytest.raises(ImportErrors) as raised:
        book_import_file(path)
    assert [p for p, _m in raised.value.errors] == refused
    assert db_snapshot() == before


def test_a_repeated_key_deep_in_a_journal_read_by_its_checker_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    caja = book_import_file(_generated(tmp_path, 12))
    text = _export(caja, tmp_path / "book.json")
    call_command("flush", interactive=False)
    at = text.index('"kind": "share_purchase"', len(text) * 9 // 10)  # an entry near the end
    bad = text[:at] + '"kind": "x", ' + text[at:]
    (tmp_path / "bad.json").write_text(bad, encoding="utf-8")
    pids, before = _forks(monkeypatch), db_snapshot()
    with pytest.raises(ImportErrors) as raised:
        book_import_file(tmp_path / "bad.json")
    assert raised.value.errors == [("$", "clave repetida 'kind' / duplicated key 'kind'")]
    # SQLite: found by the checker, then the book read again; PostgreSQL: by the reader
    assert len(pids) == (connection.vendor == "sqlite") and all(_reaped(p) for p in pids)
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"reverses": null', '"reverses": 1' + "0" * 40),  # a number the spec bounds
        ('"reverses": null', '"reverses": null, "note": -' + "9" * 40),  # a key it does not know
        ('"reverses": null', '"reverses": 1' + "0" * 5000),  # longer than int() reads
    ],
)
def test_a_long_number_in_a_journal_read_by_its_checker_is_refused_as_by_the_whole_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    """The checker decodes the journal's numbers without their length bound (a fifth of the
    decoding): an entry it cannot bound by its spec makes the book read again, whole."""
    caja = book_import_file(_generated(tmp_path, 12))
    text = _export(caja, tmp_path / "book.json")
    call_command("flush", interactive=False)
    at = text.index(old, len(text) * 9 // 10)  # an entry near the end
    bad = text[:at] + new + text[at + len(old) :]
    (tmp_path / "bad.json").write_text(bad, encoding="utf-8")
    pids, before = _forks(monkeypatch), db_snapshot()
    with pytest.raises(ImportErrors) as raised:
        book_import_file(tmp_path / "bad.json")
    with pytest.raises(ImportErrors) as whole:
        book_parse(bad.encode())
    assert (
        raised.value.errors
        == whole.value.errors
        == [("$", "JSON inválido / invalid JSON: número demasiado largo / number too long")]
    )
    assert all(_reaped(p) for p in pids) and db_snapshot() == before


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-03T13:06:57.021561+00:00",  # as an export writes it: used as it is
        "2026-12-03T13:06:57.000000+00:00",  # no microseconds: SQLite's text has none
        "2026-12-03T13:06:57+00:00",  # written otherwise: converted
        "2026-12-03T08:06:57.5-05:00",
        "2026-12-03 13:06:57.021561+00:00",
        "2026-W49-4T13:06:57.021561+00:00",  # a week date, as long as the usual form
        "2026-12-03T13:06:57.021561Z",
    ],
)
def test_an_entrys_time_is_chained_and_stored_as_from_the_datetime(text: str) -> None:
    """The chain's text and SQLite's are taken from the book's text when it is already in the
    chain's form, and must be what the parsed time gives."""
    import datetime as dt

    from cajas.books.importer.values import sqlite_text, utc_text

    when = dt.datetime.fromisoformat(text)
    chained = utc_text(text, when)
    assert chained == when.astimezone(dt.UTC).isoformat(timespec="microseconds")
    assert sqlite_text(chained) == str(when.astimezone(dt.UTC).replace(tzinfo=None))
