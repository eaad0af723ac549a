"""`make bench`: export and import of a large caja's book, time and peak memory, against the bare
`executemany` floor of its rows, on whatever database DATABASE_URL selects.

The caja is generated (``cajas.books.sample``: BOOK_MEETINGS meetings, 1,000 by default, of 50
members: 110 entries, 220 lines, 50 attendance rows and 110 items each). It is imported once to
have it in the database, exported (timed: the real book, every hash in it), the database emptied,
and that book imported (timed). Each step runs in its own process, which reports its peak
resident memory (``ru_maxrss``; the import's also that of the second process that checks the
journal, ``importer/apart.py``: their sum counts twice the pages they share). Two floors, in the same run, each rows inserted in one
transaction by ``executemany`` into tables with no index:

- the import's own rows: every row the import wrote (every table of the project's apps, all
  columns, the very values, ids included), read back into memory first and then inserted into
  copies of their tables made with no index, constraint or trigger; and the same a hundred
  rows per statement (``core/bulk_sql.py``, as the import writes them on SQLite), the stricter
  floor;
- the same number of rows in plain tables (entries of 8 columns, lines and meeting rows of 4),
  simpler than the real rows (fewer and shorter columns): the floor of the earlier runs, kept
  so that the ratios can be compared.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cajas.settings")
django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from cajas.books.export import book_write  # noqa: E402
from cajas.books.importer import book_import_file  # noqa: E402
from cajas.books.sample import sample_book_write  # noqa: E402
from cajas.core.bulk_sql import insert_many, values_sql  # noqa: E402
from cajas.org.models import Caja  # noqa: E402

MEETINGS = int(os.environ.get("BOOK_MEETINGS", "1000"))
MEMBERS = 50
CODE = "muestra"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mb() -> float:
    """The largest peak of the processes this one started (the import's journal checker)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def step(action: str, path: str) -> None:
    """One timed step, in this process: prints ``seconds peak_mb``."""
    start = time.perf_counter()
    if action == "generate":
        with open(path, "w", encoding="utf-8") as out:
            sample_book_write(out, meetings=MEETINGS, members=MEMBERS, code=CODE)
    elif action == "import":
        book_import_file(Path(path))
    elif action == "export":
        with open(path, "w", encoding="utf-8") as out:
            book_write(Caja.objects.get(code=CODE), out)
    elif action == "floor":
        floor()
    elif action in ("own-floor", "own-floor-many"):
        seconds, rows = own_floor(many=action == "own-floor-many")
        print(f"{seconds:.3f} {_peak_mb():.1f} {rows}")
        return
    print(f"{time.perf_counter() - start:.3f} {_peak_mb():.1f} {_children_peak_mb():.1f}")


def floor() -> None:
    entries = MEETINGS * (2 * MEMBERS + MEMBERS // 5)
    lines, others = 2 * entries, MEETINGS * (MEMBERS + entries // MEETINGS)
    h = "a" * 64
    entry_rows = [
        (i, 1, i, "2025-01-01", "share_purchase", "", f"meeting:{i}:item:{i}", h)
        for i in range(1, entries + 1)
    ]
    line_rows = [(i // 2 + 1, "1101", 500, 0) for i in range(lines)]
    other_rows = [(i // 2 + 1, "present", 500, 0) for i in range(others)]
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany("INSERT INTO bench_book_entry VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", entry_rows)
        cur.executemany(
            "INSERT INTO bench_book_line (entry_id, account, debit, credit) VALUES (%s,%s,%s,%s)",
            line_rows,
        )
        cur.executemany(
            "INSERT INTO bench_book_line (entry_id, account, debit, credit) VALUES (%s,%s,%s,%s)",
            other_rows,
        )
        transaction.set_rollback(True)


def _own_tables() -> list[str]:
    """The project's tables that hold rows (after the import into an emptied database: the
    import's rows, and nothing else but what migrations leave)."""
    tables = []
    with connection.cursor() as cur:
        for model in apps.get_models():
            if not model.__module__.startswith("cajas.") or model._meta.proxy:
                continue
            table = model._meta.db_table
            cur.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 (a model's table)
            if cur.fetchone():
                tables.append(table)
    return sorted(set(tables))


def own_floor(*, many: bool = False) -> tuple[float, int]:
    """Insert the import's own rows into copies of their tables without indexes: the seconds
    of the inserts and their commit (the rows are read into memory before), and the rows. With
    ``many``, a hundred rows per statement (``core/bulk_sql.py``), as the import writes them on
    SQLite (on PostgreSQL it writes 500 an ``INSERT``): the stricter floor."""
    loaded, copies = [], []
    with connection.cursor() as cur:
        for table in _own_tables():
            copy = f"bench_floor_{table}"
            copies.append(copy)
            cur.execute(f"DROP TABLE IF EXISTS {copy}")
            if connection.vendor == "sqlite":
                cur.execute(f"CREATE TABLE {copy} AS SELECT * FROM {table} WHERE 0")  # noqa: S608
            else:
                cur.execute(f"CREATE TABLE {copy} (LIKE {table})")  # no index, no trigger
            cur.execute(f"SELECT * FROM {table}")  # noqa: S608
            rows = cur.fetchall()
            width = len(cur.description)
            loaded.append((copy, width, rows))
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        for copy, width, rows in loaded:
            insert = f"INSERT INTO {copy} VALUES "  # noqa: S608
            if many:
                insert_many(cur, insert, width, rows)
            else:
                cur.executemany(insert + values_sql(1, width), rows)
    seconds = time.perf_counter() - start
    with connection.cursor() as cur:
        for copy in copies:
            cur.execute(f"DROP TABLE {copy}")
    return seconds, sum(len(rows) for _copy, _width, rows in loaded)


def _tables(create: bool) -> None:
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_book_line")
        cur.execute("DROP TABLE IF EXISTS bench_book_entry")
        if not create:
            return
        cur.execute(
            "CREATE TABLE bench_book_entry (id bigint PRIMARY KEY, caja_id bigint, seq integer,"
            " date date, kind varchar(20), memo varchar(200), ikey varchar(120),"
            " hash varchar(64))"
        )
        cur.execute(
            "CREATE TABLE bench_book_line (id integer PRIMARY KEY "
            + ("AUTOINCREMENT" if connection.vendor == "sqlite" else "GENERATED ALWAYS AS IDENTITY")
            + ", entry_id bigint, account varchar(20), debit bigint, credit bigint)"
        )


def _run(action: str, path: str) -> list[float]:
    """The step's figures (the last line it prints)."""
    out = subprocess.run(  # noqa: S603 (this script, this interpreter)
        [sys.executable, __file__, action, path], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    return [float(x) for x in out[-1].split()]


def main() -> int:
    call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False)  # a throwaway database (scripts/bench.sh)
    _tables(create=True)
    connection.close()
    with tempfile.TemporaryDirectory() as tmp:
        generated, book = f"{tmp}/generated.json", f"{tmp}/book.json"
        gen_s, _gen_mb, _ = _run("generate", generated)
        _run("import", generated)
        exp_s, exp_mb, _ = _run("export", book)
        call_command("flush", interactive=False)
        connection.close()
        imp_s, imp_mb, checker_mb = _run("import", book)
        own_s, _own_mb, own_rows = _run("own-floor", "-")
        many_s, _many_mb, _ = _run("own-floor-many", "-")
        floor_s, _floor_mb, _ = _run("floor", "-")
        size_mb = Path(book).stat().st_size / 2**20
    call_command("flush", interactive=False)
    _tables(create=False)
    entries = MEETINGS * (2 * MEMBERS + MEMBERS // 5)
    many = (
        f"{'':<10}   floor, the same rows a hundred per statement, no index: "
        f"{many_s:5.2f} s: ratio {imp_s / many_s:4.1f}x\n"
    )
    print(
        f"{connection.vendor:<10} book of {MEETINGS} meetings ({entries} entries, "
        f"{size_mb:.0f} MB; generated in {gen_s:.1f} s)\n"
        f"{'':<10} import {imp_s:6.1f} s, peak {imp_mb:5.0f} MB, its journal checker's "
        f"{checker_mb:3.0f} MB (pages shared); both {imp_mb + checker_mb:3.0f} MB "
        "(budget 200 MB)\n"
        f"{'':<10}   floor, its own rows by executemany, no index ({own_rows:,.0f} rows): "
        f"{own_s:5.2f} s: ratio {imp_s / own_s:4.1f}x (budget 5x)\n"
        f"{many}"
        f"{'':<10}   floor, as many simpler rows (the earlier floor): "
        f"{floor_s:5.2f} s: ratio {imp_s / floor_s:4.1f}x\n"
        f"{'':<10} export {exp_s:6.1f} s, peak {exp_mb:5.0f} MB"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3:
        step(sys.argv[1], sys.argv[2])
        sys.exit(0)
    sys.exit(main())
