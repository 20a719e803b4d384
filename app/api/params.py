"""Query parameters of the API, read strictly: a value that is not what the OpenAPI document says is a
422 naming the parameter, never a silent default (and never a number too large for the database).
An empty value counts as not given (``allowEmptyValue`` in the document)."""

from flask import request
from flask_babel import gettext as _

# Ids are integer keys (32 bits on PostgreSQL): no row has a larger one.
MAX_ID = 2**31 - 1
DOSSIERS_PER_PAGE = 50
# The inbox filters' values as InboxFilter.from_args reads them; anything else is refused here.
OVERDUE = ("true", "false", "1", "0")
CLAIMED = ("me", "unclaimed")


def choice_arg(name: str, choices, errors: dict) -> str | None:
    """The query parameter ``name`` if it is one of ``choices``; None when absent or empty."""
    value = request.args.get(name) or None
    if value is not None and value not in choices:
        errors[name] = [_("%(name)s phải là một trong: %(values)s.", name=name, values=", ".join(choices))]
        return None
    return value


def int_arg(name: str, default: int | None, low: int, high: int, errors: dict) -> int | None:
    """The integer query parameter ``name`` within ``low``..``high``; ``default`` when absent or empty.

    A bad value is reported in ``errors`` (keyed by the parameter) and ``default`` returned.
    """
    text = request.args.get(name, "").strip()
    if not text:
        return default
    # Length first: int() of a thousands-digit string is refused by Python itself, and slow before that.
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(high)) and low <= int(text) <= high):
        errors[name] = [_("%(name)s phải là số nguyên từ %(a)s đến %(b)s.", name=name, a=low, b=high)]
        return default
    return int(text)
