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
    message_es = "«{value}» no es un monto válido: escriba cifras, p. ej. 1874 o 1874,98."
    message_en = "“{value}” is not a valid amount: write digits, e.g. 1874 or 1874.98."
    default_field = "amount"


class AmountDigits(RuleViolation):
    code = "amount.digits"
    message_es = "«{value}» lleva cifras que no son 0-9; escriba el monto con las cifras 0 a 9."
    message_en = "“{value}” has digits other than 0-9; write the amount with the digits 0 to 9."
    default_field = "amount"


class AmountAmbiguous(RuleViolation):
    """``1,874`` is 1874 with a thousands comma, or 1.874 with a decimal comma: refuse."""

    code = "amount.ambiguous"
    message_es = (
        "«{value}» se puede leer de dos maneras. Escriba {whole} (sin separador de miles) "
        "o, con centavos, {cents} (dos decimales)."
    )
    message_en = (
        "“{value}” can be read two ways. Write {whole} (no thousands separator) "
        "or, with cents, {cents_en} (two decimals)."
    )
    default_field = "amount"


class AmountTooLarge(RuleViolation):
    code = "amount.too_large"
    message_es = "El monto {value} supera el máximo de {maximum} USD; revise las cifras."
    message_en = "The amount {value} is above the maximum of {maximum} USD; check the digits."
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
