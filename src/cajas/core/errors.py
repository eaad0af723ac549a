"""Rule violations: one exception per rule, each with a stable code and a message in both
languages.

Rule modules are pure Python; they raise these. Views turn them into form errors, the API into
``{code, message, field}``, the CLI into an error line with both languages.
"""

from __future__ import annotations

from typing import Any, ClassVar


class RuleViolation(Exception):
    """A business rule was broken. Subclasses set ``code``, ``rule_id`` and both messages."""

    code: ClassVar[str] = "rule"
    rule_id: ClassVar[str] = ""
    message_es: ClassVar[str] = "Se incumplió una regla."
    message_en: ClassVar[str] = "A rule was broken."
    default_field: ClassVar[str | None] = None

    def __init__(self, field: str | None = None, **params: Any) -> None:
        self.params = params
        self.field = field if field is not None else self.default_field
        super().__init__(str(self))

    @property
    def es(self) -> str:
        return self.message_es.format(**self.params)

    @property
    def en(self) -> str:
        return self.message_en.format(**self.params)

    def message(self, language: str | None = "es") -> str:
        return self.en if (language or "es").startswith("en") else self.es

    def as_dict(self, language: str | None = "es") -> dict[str, Any]:
        return {"code": self.code, "message": self.message(language), "field": self.field}

    def __str__(self) -> str:
        return f"{self.es} / {self.en}"


class AmountInvalid(RuleViolation):
    code = "amount.invalid"
    message_es = "«{value}» no es un monto válido."
    message_en = "“{value}” is not a valid amount."
    default_field = "amount"


class AmountNotPositive(RuleViolation):
    code = "amount.not_positive"
    message_es = "El monto debe ser mayor que cero (se recibió {value})."
    message_en = "The amount must be greater than zero (got {value})."
    default_field = "amount"


class AmountPrecision(RuleViolation):
    code = "amount.precision"
    message_es = "El monto {value} tiene más de 2 decimales; use centavos exactos."
    message_en = "The amount {value} has more than 2 decimal places; use whole cents."
    default_field = "amount"


class NotFound(RuleViolation):
    code = "not_found"
    message_es = "No existe {what} «{ref}» o no tiene acceso a él."
    message_en = "There is no {what_en} “{ref}”, or you may not see it."


class PermissionDenied(RuleViolation):
    code = "permission.denied"
    message_es = "Su rol no permite {action_es} en esta caja."
    message_en = "Your role does not allow you to {action_en} in this caja."
