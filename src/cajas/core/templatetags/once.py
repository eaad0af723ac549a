"""``{% load once %}`` … ``{% once_token %}`` inside every POST form (see ``core/once.py``)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from cajas.core.once import FIELD, token_new

register = template.Library()


@register.simple_tag
def once_token() -> SafeString:
    """A hidden field with a fresh random token: a second submission of the same form (a double
    tap, the back button, a retry after a dropped connection) is recognised and not repeated."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, token_new())
