from decimal import Decimal, InvalidOperation

from django import template

from cajas.core.money import format_amount, to_cents

register = template.Library()


@register.filter
def usd(cents: int | None) -> str:
    """Cents as ``1,234.56`` (the template adds the currency)."""
    return "—" if cents is None else format_amount(int(cents))


@register.filter
def get(mapping: dict, key: str) -> object:  # type: ignore[type-arg]
    return mapping.get(key, 0)


@register.filter
def pct(value: object) -> str:
    """A percentage with two decimals and a decimal point, like the amounts: ``26.83``."""
    from decimal import Decimal

    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):.2f}"


@register.filter
def sub(value: int, other: int) -> int:
    return int(value) - int(other)


@register.filter
def figure(value: object) -> str:
    """A dashboard figure written like the amounts elsewhere: counts as ``1,500``, amounts and
    percentages as ``1,234.56`` (thousands separators, two decimals)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    try:
        return format_amount(to_cents(Decimal(str(value))))
    except InvalidOperation:
        return str(value)
