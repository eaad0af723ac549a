"""The spec of a value from the model field it is stored in (``max_length``, ``choices``,
``null``, integer width), so the book obeys the same limits as the database."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db import models

from cajas.books.importer.scalars import Day, Dec, Flag, Int, Stamp, Text
from cajas.books.importer.spec import INT32, INT64, SECRET_MAX, SIGNED_CENTS, TEXT_MAX, Spec
from cajas.core.fields import EncryptedTextField
from cajas.core.money import MAX_AMOUNT_CENTS


def column(model: type[models.Model], name: str, **overrides: Any) -> Spec:
    """The spec of a value stored in ``model.name``, from the field's own limits."""
    f = model._meta.get_field(name)
    spec: Spec
    null = bool(getattr(f, "null", False))
    if isinstance(f, EncryptedTextField):
        spec = Text(SECRET_MAX, blank=f.blank, nullable=null)
    elif isinstance(f, models.TextField):
        spec = Text(TEXT_MAX, blank=f.blank, nullable=null, multiline=True)
    elif isinstance(f, models.CharField):
        choices = tuple(str(v) for v, _ in f.choices) if f.choices else None
        pattern = r"[-a-zA-Z0-9_]+" if isinstance(f, models.SlugField) else None
        spec = Text(f.max_length or TEXT_MAX, choices, f.blank, null, pattern=pattern)
    elif isinstance(f, models.BooleanField):
        spec = Flag(nullable=null)
    elif isinstance(f, models.DateTimeField):
        spec = Stamp(nullable=null)
    elif isinstance(f, models.DateField):
        spec = Day(nullable=null)
    elif isinstance(f, models.DecimalField):
        spec = Dec(f.max_digits or 20, f.decimal_places or 0, nullable=null)
    elif isinstance(f, models.BigIntegerField) and name.endswith("_cents"):
        low = -MAX_AMOUNT_CENTS if name in SIGNED_CENTS else 0
        spec = Int(low, MAX_AMOUNT_CENTS, nullable=null)
    elif isinstance(f, models.BigIntegerField):
        spec = Int(-INT64, INT64, nullable=null)
    elif isinstance(f, models.PositiveIntegerField | models.PositiveSmallIntegerField):
        spec = Int(0, INT32, nullable=null)
    elif isinstance(f, models.IntegerField):
        spec = Int(-INT32, INT32, nullable=null)
    else:  # pragma: no cover - a new field type in a model the book holds
        raise TypeError(f"no spec for {model.__name__}.{name}")
    return dataclasses.replace(spec, **overrides) if overrides else spec


def columns(model: type[models.Model], names: list[str], **overrides: Spec) -> dict[str, Spec]:
    return {n: overrides[n] if n in overrides else column(model, n) for n in names}
