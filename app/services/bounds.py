"""How long a text people send may be, checked in one place and refused in one sentence.

A text stored in a ``String(n)`` column is bounded by that column: ``limit(User.full_name)`` reads the
length from the model, so the check and the schema cannot drift apart. Text kept in ``Text`` or JSON
columns, and what is only looked up or searched, has a deliberate bound below. The services check
before they change anything, so a page, the API and the command line refuse the same text with the
same words, and PostgreSQL never meets a value too long for its column (it would stop the flush with a
bare DataError, while SQLite would keep the whole text).

Nothing is cut short: a text that is too long is refused, saying by how much, and the person who wrote
it decides what to drop. (Only what nobody types is shortened elsewhere: the User-Agent and address kept
with a session, an engine's error kept in the audit log.)
"""

from collections.abc import Iterator, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models import AdminUnit, User
from app.services.errors import InvalidInput

# A comment on a dossier (``comment.body``, Text): a few paragraphs.
COMMENT = 4_000
# The column keeps only the password's hash; this is far beyond any passphrase or generated password.
PASSWORD = 128
# The longest address mail can carry (RFC 5321: a 256-octet path less its angle brackets).
EMAIL = 254
# A search term: as long as the longest name (String(200)); titles are found by any part of them.
SEARCH = 200
# One string of a form definition or a procedure manifest (a title, a label, a help text or a
# criterion's description), stored in JSON; the longest shipped one has under a thousand characters.
DEFINITION_TEXT = 2_000

# The one sentence for a text that is too long. Lazy, so that it is translated when shown: WTForms'
# ``Length(max=..., message=TOO_LONG)`` fills in the same two keys.
TOO_LONG = _l("Tối đa %(max)s ký tự (đã nhập %(length)s).")


def limit(column) -> int:
    """The length of a ``String(n)`` column, e.g. ``limit(User.full_name)`` is 200."""
    length = column.type.length
    if length is None:
        raise TypeError(f"{column} has no length: give its texts a documented bound in app.services.bounds")
    return length


def too_long(text: str | None, maximum: int) -> str | None:
    """The message refusing ``text`` when it has more than ``maximum`` characters, else None."""
    if text is None or len(text) <= maximum:
        return None
    return TOO_LONG % {"max": maximum, "length": len(text)}


def length_errors(fields: Mapping[str, tuple[str | None, int]]) -> dict[str, list[str]]:
    """``{field: [message]}`` for every ``field: (text, maximum)`` whose text is too long."""
    errors = {}
    for field, (text, maximum) in fields.items():
        message = too_long(text, maximum)
        if message is not None:
            errors[field] = [message]
    return errors


def check_lengths(fields: Mapping[str, tuple[str | None, int]], message: str | None = None) -> None:
    """Raise ``InvalidInput`` keyed by field when any ``field: (text, maximum)`` is too long.

    ``message`` is the sentence for the whole request (a page without the field shows only that);
    by default the first field's own message.
    """
    errors = length_errors(fields)
    if errors:
        raise InvalidInput(errors, message or next(iter(errors.values()))[0])


def long_texts(value, maximum: int, path: str = "") -> Iterator[tuple[str, str]]:
    """``(path, message)`` for every string in a JSON value (keys included) longer than ``maximum``;
    paths in the form loader's notation, ``fields[3].label.vi``."""
    if isinstance(value, str):
        message = too_long(value, maximum)
        if message is not None:
            yield path, message
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            message = too_long(str(key), maximum)
            if message is not None:
                yield path, message
            else:
                yield from long_texts(item, maximum, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from long_texts(item, maximum, f"{path}[{index}]")


def search_text(args, name: str = "q") -> str:
    """A page's search term, trimmed; ``InvalidInput`` when it is longer than any text it could match."""
    text = (args.get(name) or "").strip()
    message = too_long(text, SEARCH)
    if message is not None:
        raise InvalidInput(
            {name: [message]},
            _("Từ khóa tìm kiếm tối đa %(max)s ký tự (đã nhập %(length)s).", max=SEARCH, length=len(text)),
        )
    return text


def input_limits() -> dict[str, int]:
    """The ``maxlength`` of the pages' inputs, by what they hold: the numbers the services check."""
    return {
        "username": limit(User.username),
        "full_name": limit(User.full_name),
        "email": EMAIL,
        "password": PASSWORD,
        "unit_code": limit(AdminUnit.code),
        "unit_name": limit(AdminUnit.name),
        "search": SEARCH,
        "comment": COMMENT,
        "definition_text": DEFINITION_TEXT,
    }
