"""Database backstops for the ledger invariants (DESIGN.md §3, §5).

- Both databases: journal entries and lines cannot be UPDATEd.
- PostgreSQL: they cannot be DELETEd either, and a deferred constraint trigger rejects, at
  commit, any entry whose lines do not balance.
- SQLite: DELETE stays possible because Django's test flush empties tables with DELETE; a
  deleted entry breaks the hash chain and ``cajas verify`` reports it.
"""

from typing import Any

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_journalentry
       BEGIN SELECT RAISE(ABORT, 'journal entries are immutable: post a reversal'); END""",
    """CREATE TRIGGER ledger_line_no_update BEFORE UPDATE ON ledger_journalline
       BEGIN SELECT RAISE(ABORT, 'journal lines are immutable: post a reversal'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_entry_no_update",
    "DROP TRIGGER IF EXISTS ledger_line_no_update",
]

PG_FORWARD = [
    """CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'journal % are immutable: post a reversal', TG_TABLE_NAME
           USING ERRCODE = 'integrity_constraint_violation';
       END $$""",
    """CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON ledger_journalentry
       FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()""",
    """CREATE TRIGGER ledger_line_immutable BEFORE UPDATE OR DELETE ON ledger_journalline
       FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()""",
    """CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE diff bigint;
       BEGIN
         SELECT COALESCE(SUM(debit), 0) - COALESCE(SUM(credit), 0) INTO diff
           FROM ledger_journalline WHERE entry_id = NEW.entry_id;
         IF diff <> 0 THEN
           RAISE EXCEPTION 'journal entry % does not balance (debits - credits = %)',
             NEW.entry_id, diff USING ERRCODE = 'check_violation';
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE CONSTRAINT TRIGGER ledger_line_balanced AFTER INSERT ON ledger_journalline
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
       EXECUTE FUNCTION ledger_check_entry_balanced()""",
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_line_balanced ON ledger_journalline",
    "DROP FUNCTION IF EXISTS ledger_check_entry_balanced()",
    "DROP TRIGGER IF EXISTS ledger_line_immutable ON ledger_journalline",
    "DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_journalentry",
    "DROP FUNCTION IF EXISTS ledger_reject_change()",
]


def forward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": PG_FORWARD}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql, params=None)


def backward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": PG_BACKWARD}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
