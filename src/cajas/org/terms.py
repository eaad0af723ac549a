"""How a caja's loans are priced and paid, as the bylaws set it: pure enums with no Django
import, so the pure loan arithmetic (``loans/schedule.py``) and the bylaws model share one
definition. Their labels (for forms and pages) are ``org.models.INTEREST_METHODS`` and
``LOAN_FREQUENCIES``."""

from __future__ import annotations

from enum import StrEnum


class InterestMethod(StrEnum):
    FLAT = "flat"  # on the original principal, every period
    FRENCH = "french"  # declining balance, equal installments
    GERMAN = "german"  # declining balance, equal principal


class LoanFrequency(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
