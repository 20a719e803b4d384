"""Active content in PDF files, found in the bytes themselves rather than through a PDF library.

A PDF can run JavaScript, start programs, open or submit other files and carry whole files inside itself.
Evidence is a scan or a certificate: none of that belongs in it, and the officials who open it should not
meet it, so such a file is refused. The check looks for the PDF names that introduce those features, in
the file as written and in every stream it can decode (object streams hide whole objects behind
compression), and refuses what it cannot look into (encryption, LZW), since anything could hide there.

Streams are decoded by trying the codecs on the data rather than by reading their dictionaries, so a
dictionary that misstates its filters hides nothing. Not covered: a stream undone only with a predictor
or run-length decoding before its content can be read, and readers that accept what the PDF format does
not (a raw deflate stream without its header, for one).
"""

import base64
import binascii
import re
import zlib

# Names that introduce active content. JavaScript stands for every script: a script action's type and the
# document's script tree both carry it, and the only other place a script may sit, a rendition action, is
# refused by its own name. The two-letter /JS key itself is not looked for: it turns up by chance in
# compressed image data often enough to refuse ordinary scans.
ACTIVE_NAMES = (
    b"JavaScript",  # scripts: actions (/S /JavaScript) and the document-level script tree
    b"Rendition",  # multimedia actions, which may run a script too
    b"Launch",  # starts a program or opens a file
    b"GoToR",  # opens another PDF, which may sit on a network share
    b"GoToE",  # opens a PDF carried inside this one
    b"SubmitForm",  # sends form data to an address
    b"ImportData",  # loads form data from a file
    b"EmbeddedFile",  # a file carried inside
    b"EmbeddedFiles",  # the document's list of carried files
    b"FileAttachment",  # an annotation holding a file
    b"RichMedia",  # Flash and video with their own scripting
    b"XFA",  # XML forms, scriptable
)
# Names under which content cannot be read here: an encrypted document, compression not decoded here.
OPAQUE_NAMES = (b"Encrypt", b"Crypt", b"LZWDecode", b"LZW")

MAX_DECODED_BYTES = 128 * 1024 * 1024
# What a stream and a slash cost on top of the bytes decoded: a file of nothing but stream keywords, or of
# slashes (each may start a name, and looking at a name costs more than passing a byte), is bounded too.
STREAM_COST = 1024
SLASH_COST = 32
# A filter chain stacks codecs (ASCII85 over deflate, say); deeper stacks are not made by any producer.
MAX_LAYERS = 4

_WHITESPACE = b"\x00\t\n\x0c\r "
_DELIMITERS = _WHITESPACE + rb"()<>\[\]{}/%"
# A stream's data starts after its dictionary and the "stream" keyword; comments may sit between.
_STREAM = re.compile(rb">>(?:[" + _WHITESPACE + rb"]|%[^\r\n]*+)*+stream[" + _WHITESPACE + rb"]*+")
_HEX_RUN = re.compile(rb"[0-9A-Fa-f" + _WHITESPACE + rb"]*+")
_A85_RUN = re.compile(rb"[!-uz" + _WHITESPACE + rb"]*+")
_SPACES = re.compile(rb"[" + _WHITESPACE + rb"]+")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


class PdfRefused(Exception):
    """The file may not be accepted as a PDF."""


class ActiveContent(PdfRefused):
    def __init__(self, name: str):
        super().__init__(f"active content: /{name}")
        self.name = name


class Uncheckable(PdfRefused):
    """The file holds content this check cannot read, so it cannot say the file is safe."""


def _names_pattern(names) -> re.Pattern:
    """A pattern for whole PDF names among ``names``, however their characters are written.

    A name may write any character as ``#`` and two hex digits (``/J#61vaScript`` is ``/JavaScript``);
    it ends at whitespace, a delimiter or the end of the data.
    """

    def char(code: int) -> bytes:
        digits = "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{code:02x}")
        return b"(?:" + re.escape(bytes([code])) + b"|#" + digits.encode() + b")"

    alternatives = b"|".join(b"".join(char(code) for code in name) for name in names)
    return re.compile(b"/(?:" + alternatives + b")(?![^" + _DELIMITERS + b"])")


_ACTIVE = _names_pattern(ACTIVE_NAMES)
_OPAQUE = _names_pattern(OPAQUE_NAMES)


class _Budget:
    def __init__(self, limit: int):
        self.left = limit

    def spend(self, amount: int) -> None:
        self.left -= amount
        if self.left < 0:
            raise Uncheckable("more to decode than the check allows")


def _scan(data: bytes, budget: _Budget) -> None:
    budget.spend(data.count(b"/") * SLASH_COST)
    if found := _ACTIVE.search(data):
        name = _HEX_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), found[0][1:])
        raise ActiveContent(name.decode("latin-1"))
    if found := _OPAQUE.search(data):
        raise Uncheckable(f"cannot read content behind {found[0].decode('latin-1')}")


def _unhex(data: bytes, start: int, budget: _Budget) -> bytes | None:
    end = _HEX_RUN.match(data, start).end()
    budget.spend(end - start)
    if end == start or data[end : end + 1] != b">":
        return None
    digits = _SPACES.sub(b"", data[start:end])
    # An odd last digit stands for its high half, as the ASCIIHexDecode filter reads it.
    return binascii.unhexlify(digits + b"0" * (len(digits) % 2))


def _una85(data: bytes, start: int, budget: _Budget) -> bytes | None:
    if data.startswith(b"<~", start):
        start += 2
    end = _A85_RUN.match(data, start).end()
    budget.spend(end - start)
    if end == start or data[end : end + 2] != b"~>":
        return None
    try:
        decoded = base64.a85decode(data[start:end], ignorechars=_WHITESPACE)
    except ValueError:
        return None
    budget.spend(len(decoded))
    return decoded


def _inflate_prefix(data: memoryview, length: int, budget: _Budget) -> bytes:
    inflater = zlib.decompressobj()
    decoded = inflater.decompress(data[:length], budget.left + 1)
    budget.spend(length - len(inflater.unconsumed_tail) - len(inflater.unused_data) + len(decoded))
    return decoded


def _inflate(data: bytes, start: int, budget: _Budget) -> bytes | None:
    view = memoryview(data)[start:]
    # The two-byte zlib header every reader checks before inflating.
    if len(view) < 2 or view[0] & 0x0F != 8 or view[0] >> 4 > 7 or (view[0] << 8 | view[1]) % 31:
        return None
    try:
        return _inflate_prefix(view, len(view), budget)
    except zlib.error:
        pass
    # Readers show what inflates before damaged data, and an object can hide just before the damage;
    # find the longest input that still inflates (one that fails to is longer than the damage point).
    good, bad = 2, len(view)
    while bad - good > 1:
        middle = (good + bad) // 2
        try:
            _inflate_prefix(view, middle, budget)
            good = middle
        except zlib.error:
            bad = middle
    return _inflate_prefix(view, good, budget)


def _decodings(data: bytes, start: int, budget: _Budget, depth: int = 1):
    """Everything the stream data at ``data[start:]`` decodes to, layer under layer."""
    for decode in (_unhex, _una85, _inflate):
        decoded = decode(data, start, budget)
        if decoded is not None:
            yield decoded
            if depth < MAX_LAYERS:
                yield from _decodings(decoded, 0, budget, depth + 1)


def check_pdf(content: bytes, *, max_decoded: int = MAX_DECODED_BYTES) -> None:
    """Raise ``ActiveContent`` if the PDF ``content`` carries active content, ``Uncheckable`` if it cannot
    be read far enough to tell.

    ``max_decoded`` bounds the bytes decoded and re-read in all; a file that needs more is uncheckable.
    """
    budget = _Budget(max_decoded)
    _scan(content, budget)
    for stream in _STREAM.finditer(content):
        budget.spend(STREAM_COST)
        for decoded in _decodings(content, stream.end(), budget):
            _scan(decoded, budget)
