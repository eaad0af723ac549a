"""The caja's double-entry journal (docs/domain.md §5).

Design overview — the invariants every change must keep (``cajas verify`` re-checks them all):

1. Every ``JournalEntry`` balances: the sum of its lines' debits equals the sum of their
   credits; every line has exactly one positive side; an entry has at least two lines.
2. Entries are immutable. Corrections are new entries that reverse an earlier one
   (``reverses``), with a reason and who made it. Database triggers reject UPDATE (and DELETE
   on PostgreSQL); on PostgreSQL a statement-level trigger also rejects any INSERT that leaves an
   entry unbalanced.
3. Every entry carries an idempotency key unique per caja: posting the same content under the
   same key again is a no-op; different content under a used key is an error.
4. Entries are numbered ``seq`` 1, 2, 3… per caja and hash-chained:
   ``hash = sha256(prev_hash + canonical_json(entry))``. The caja row holds the chain head.
5. The cash box and every member's savings never go below zero.
6. ``Account.balance_cents`` equals the sum of the account's lines in its normal direction.

Amounts are integer cents. Account codes, member and meeting numbers, not database ids, go into
the hash, so a book exported and imported elsewhere verifies unchanged.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cajas.org.models import Caja


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    EQUITY = "equity", _("Equity")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")


DEBIT_NORMAL = (AccountKind.ASSET, AccountKind.EXPENSE)


class Account(models.Model):
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="accounts")
    code = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    membership = models.ForeignKey(
        "members.Membership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.PROTECT, null=True, blank=True, related_name="accounts"
    )
    # The balance in the account's normal direction (assets and expenses: debits minus
    # credits; the rest: credits minus debits), kept by ``entries_post`` in the same
    # transaction as the lines, so reading a balance never scans the journal. ``verify``
    # recounts it from the lines.
    balance_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caja", "code"], name="account_code_unique")]
        ordering = ["caja", "code"]

    def __str__(self) -> str:
        return f"{self.code}"


class EntryKind(models.TextChoices):
    SHARE_PURCHASE = "share_purchase", _("Share purchase")
    SOCIAL_FUND = "social_fund", _("Social fund contribution")
    FINE = "fine", _("Fine")
    FINE_PAYMENT = "fine_payment", _("Payment of a fine owed")
    FINE_WAIVER = "fine_waiver", _("Fine owed, waived")
    ENTRY_FEE = "entry_fee", _("Entry fee")
    OTHER_INCOME = "other_income", _("Other income")
    EXPENSE = "expense", _("Expense")
    CASH_DIFFERENCE = "cash_difference", _("Cash count difference")
    OPENING_BALANCE = "opening_balance", _("Opening balance")
    REVERSAL = "reversal", _("Reversal")
    TRANSFER = "transfer", _("Transfer between cash and bank")
    LOAN_DISBURSEMENT = "loan_disbursement", _("Loan disbursement")
    LOAN_REPAYMENT = "loan_repayment", _("Loan repayment")
    LOAN_WRITE_OFF = "loan_write_off", _("Loan write-off")
    LOAN_RECOVERY = "loan_recovery", _("Recovery of a written-off loan")
    CYCLE_CLOSE = "cycle_close", _("Closing the cycle's income and expenses")
    RESERVE = "reserve", _("Reserve set aside")
    SHARE_OUT = "share_out", _("Share-out payout")
    MEMBER_EXIT = "member_exit", _("Member exit settlement")


class JournalEntry(models.Model):
    caja = models.ForeignKey(
        Caja, on_delete=models.PROTECT, related_name="journal_entries", db_index=False
    )
    """No index of its own: ``entry_seq_unique`` begins with it (ledger migration 0012)."""
    seq = models.PositiveIntegerField()
    date = models.DateField()
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    memo = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=120)
    membership = models.ForeignKey(
        "members.Membership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
    )
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    reason = models.CharField(max_length=300, blank=True)
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField()
    content_digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caja", "seq"], name="entry_seq_unique"),
            models.UniqueConstraint(
                fields=["caja", "idempotency_key"], name="entry_idempotency_key_unique"
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="entry_seq_positive"),
        ]
        ordering = ["caja", "seq"]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.caja_id}#{self.seq} {self.kind}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
    """The caja key on every caja-owned row (docs/scaling.md), the entry's."""
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="line_one_positive_side",
                condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} D{self.debit} C{self.credit}"
