"""PostgreSQL: check that entries balance once per INSERT statement instead of once per line.

The deferred row-level constraint trigger of 0002 ran one SUM per journal line at commit
(240 for a standard meeting). This statement-level trigger sees the inserted lines as a
transition table and checks every entry they touch with one aggregate. It is stricter: every
statement must leave the entries it touches balanced, which is how ``entries_post`` writes (all
lines of an entry in one statement; chunks never split an entry).
"""

from typing import Any

from django.db import migrations

FORWARD = [
    "DROP TRIGGER IF EXISTS ledger_line_balanced ON ledger_journalline",
    "DROP FUNCTION IF EXISTS ledger_check_entry_balanced()",
    """CREATE FUNCTION ledger_check_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE bad record;
       BEGIN
         SELECT l.entry_id AS entry_id, SUM(l.debit) - SUM(l.credit) AS diff INTO bad
           FROM ledger_journalline l
          WHERE l.entry_id IN (SELECT DISTINCT entry_id FROM new_lines)
          GROUP BY l.entry_id
         HAVING SUM(l.debit) <> SUM(l.credit)
          LIMIT 1;
         IF FOUND THEN
           RAISE EXCEPTION 'journal entry % does not balance (debits - credits = %)',
             bad.entry_id, bad.diff USING ERRCODE = 'check_violation';
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_journalline
       REFERENCING NEW TABLE AS new_lines
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entries_balanced()""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_lines_balanced ON ledger_journalline",
    "DROP FUNCTION IF EXISTS ledger_check_entries_balanced()",
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


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql, params=None)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_loan_accounts")]
    operations = [migrations.RunPython(forward, backward)]
