"""Refusals of the accounts' second factor (the code a person types from their phone)."""

from __future__ import annotations

from cajas.core.errors import RuleViolation


class SecondFactorCodeWrong(RuleViolation):
    code = "second_factor.code_wrong"
    rule_id = "ACC-002"
    message_es = (
        "El código no es correcto o ya se usó. Escriba los 6 dígitos que muestra ahora la app "
        "de autenticación, o uno de sus códigos de recuperación."
    )
    message_en = (
        "The code is not right or was already used. Type the 6 digits the authenticator app "
        "shows now, or one of your recovery codes."
    )
    default_field = "token"


class SecondFactorNotStarted(RuleViolation):
    code = "second_factor.not_started"
    rule_id = "ACC-003"
    message_es = "Primero abra la página de activación para ver el código QR."
    message_en = "First open the set-up page to see the QR code."
    default_field = "token"
