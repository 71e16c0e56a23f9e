from decimal import Decimal

from django import template
from django.utils.formats import number_format

from ..models import WHOLE_UNITS

register = template.Library()


@register.filter
def money(value: Decimal, currency: str) -> str:
    """An amount in the reader's number format, with the currency's code."""
    decimals = 0 if currency in WHOLE_UNITS else 2
    return f"{number_format(value, decimals, use_l10n=True, force_grouping=True)} {currency}"
