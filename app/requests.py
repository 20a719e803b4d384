"""Request bodies: JSON nested deeper than any legitimate body is refused before it is parsed.

Python's JSON parser recurses once per level, so ``[`` × 1000 ends in a RecursionError that
``request.get_json(silent=True)`` does not catch (it catches ValueError only) and the caller got a 500.
Counting the depth first, without recursion, turns such a body into a clear 400 on every route at once,
before any view, rate-limit key or service has looked at it.
"""

import json
import re
from itertools import accumulate

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from app.errors import _error

# The deepest bodies the system takes: form definitions (the shipped forms and criteria sets reach 6
# levels: definition → fields → a field → choices → a choice → its label) and step data (data → a group's
# rows → a row → a multi-choice list: 4). 32 leaves room for far richer forms and stays far below where
# the parser's recursion becomes a problem.
MAX_JSON_DEPTH = 32

_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JsonTooDeep(BadRequest):
    """Raised while the body is read, whatever ``silent`` says: a silenced error would reach the views as
    "no body" and be answered as if nothing had been sent."""


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting a JSON parser reaches reading ``text``; linear time, no recursion.

    Escapes are dropped first, so every quote left opens or closes a string, and brackets inside strings
    do not count. Where ``text`` is not JSON the count may differ after the first error, but the parser
    stops at that error, so it never goes deeper than counted here.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    # Each opening bracket is a step down, each closing one a step up: the running sum's peak is the depth.
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


class DepthBoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, whose ``loads`` (what ``request.get_json`` parses with) checks the depth first."""

    def loads(self, s: str | bytes, **kwargs):
        # Decoded as json.loads would (UTF-8, -16 or -32); an undecodable body raises ValueError, which
        # get_json reports as malformed JSON just as before.
        text = s.decode(json.detect_encoding(s), "surrogatepass") if isinstance(s, bytes) else s
        if nesting_depth(text) > MAX_JSON_DEPTH:
            raise JsonTooDeep()
        return super().loads(text, **kwargs)


def init_request_limits(app: Flask) -> None:
    """``app`` parses JSON with the depth bound, and a request body over it is answered 400."""
    # The provider rather than a Request subclass: Flask gives every request ``app.json`` to parse with.
    app.json = DepthBoundedJSONProvider(app)

    @app.errorhandler(JsonTooDeep)
    def json_too_deep(exc):
        return _error(
            400,
            _("Dữ liệu JSON lồng nhau quá sâu (tối đa %(depth)s cấp).", depth=MAX_JSON_DEPTH),
        )
