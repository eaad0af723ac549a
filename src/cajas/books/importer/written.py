"""What the import wrote, compared in SQL with what its checks computed (decision 0010).

``journal.check_journal`` checks every entry of the book once — its lines balance, its digest,
its place in the hash chain, the running balances — and the writer writes those very values.
Reading the whole journal back to hash it a second time (``ledger.verify.verify_caja``, as
``cajas verify`` does) cost as much as the checks; instead the database is asked, in a few
aggregate queries, whether it holds what was checked: as many entries, numbered 1…n, as many
lines, each entry balanced in the stored lines, every stored ``prev_hash`` the stored hash of the
entry before, the chain head the last entry's hash, and every account's kept balance (rebuilt
from the stored lines) the running balance the checks computed from the book's lines.
"""

from __future__ import annotations

from django.db import connection

from cajas.books.importer.state import Plan
from cajas.ledger.models import Account, JournalEntry, JournalLine
from cajas.ledger.rules import GENESIS_HASH
from cajas.org.models import Caja

ENTRY, LINE, ACCOUNT = (
    JournalEntry._meta.db_table,
    JournalLine._meta.db_table,
    Account._meta.db_table,
)


def written_problems(plan: Plan, caja: Caja) -> list[str]:
    """Differences between the rows written for ``caja`` and the checked book (none, unless
    the importer has a bug): a list of messages."""
    problems = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(MIN(seq), 1), COALESCE(MAX(seq), 0) FROM {ENTRY} "  # noqa: S608
            "WHERE caja_id = %s",
            [caja.pk],
        )
        count, first, last = cursor.fetchone()
        if (count, first, last) != (plan.entry_count, 1, plan.entry_count):
            problems.append(f"{count} entries #{first}…#{last} written, {plan.entry_count} checked")
        cursor.execute(f"SELECT COUNT(*) FROM {LINE} WHERE caja_id = %s", [caja.pk])  # noqa: S608
        (lines,) = cursor.fetchone()
        if lines != plan.line_count:
            problems.append(f"{lines} lines written, {plan.line_count} checked")
        cursor.execute(
            f"SELECT MIN(l.entry_id) FROM (SELECT entry_id FROM {LINE} WHERE caja_id = %s "  # noqa: S608
            "GROUP BY entry_id HAVING SUM(debit) <> SUM(credit)) l",
            [caja.pk],
        )
        if cursor.fetchone()[0] is not None:
            problems.append("an entry's written lines do not balance")
        cursor.execute(
            f"SELECT COUNT(*) FROM {ENTRY} e LEFT JOIN {ENTRY} p "  # noqa: S608
            "ON p.caja_id = e.caja_id AND p.seq = e.seq - 1 WHERE e.caja_id = %s "
            "AND e.prev_hash <> COALESCE(p.hash, %s)",
            [caja.pk, GENESIS_HASH],
        )
        if cursor.fetchone()[0]:
            problems.append("the written hash chain is broken")
        cursor.execute(
            f"SELECT hash FROM {ENTRY} WHERE caja_id = %s AND seq = %s",  # noqa: S608
            [caja.pk, plan.entry_count],
        )
        head = cursor.fetchone()
        if (head[0] if head else GENESIS_HASH) != (plan.last_hash or GENESIS_HASH):
            problems.append("the written chain head is not the checked one")
        cursor.execute(
            f"SELECT code, balance_cents FROM {ACCOUNT} WHERE caja_id = %s",  # noqa: S608
            [caja.pk],
        )
        stored = dict(cursor.fetchall())
    for code in sorted(stored.keys() | plan.running.keys()):
        if stored.get(code, 0) != plan.running.get(code, 0):
            problems.append(
                f"account {code}: {stored.get(code, 0)} written, checked {plan.running.get(code, 0)}"
            )
    return problems
