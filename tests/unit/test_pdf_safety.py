"""The PDF active-content check on hand-built files: every way of writing the names it looks for, every
codec it looks through, and the bounds that make a file it cannot finish checking a refusal."""

import binascii
import hashlib
import zlib

import filetype
import pytest

from app.services.pdf_safety import ACTIVE_NAMES, ActiveContent, Uncheckable, check_pdf
from tests import pdf_samples
from tests.pdf_samples import object_stream_pdf, page_pdf, stream

ALERT = b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
SAMPLES = [
    name for name in dir(pdf_samples) if name.isupper() and name not in {"CATALOG", "PAGES", "PAGE", "TEXT"}
]


@pytest.mark.parametrize("name", SAMPLES)
def test_the_samples_are_pdfs_by_their_content(name):
    assert filetype.guess(getattr(pdf_samples, name)).mime == "application/pdf"


@pytest.mark.parametrize(
    "content", [pdf_samples.CLEAN, pdf_samples.CLEAN_OBJECT_STREAM], ids=["plain", "objstm"]
)
def test_clean_pdfs_pass(content):
    check_pdf(content)


@pytest.mark.parametrize(
    "content",
    [
        pdf_samples.OPEN_ACTION_JS,
        pdf_samples.ESCAPED_NAME,
        pdf_samples.JS_IN_OBJECT_STREAM,
        pdf_samples.JS_IN_ASCII85_OBJECT_STREAM,
    ],
    ids=["plain", "escaped", "object-stream", "ascii85-object-stream"],
)
def test_javascript_is_found_however_it_is_written(content):
    with pytest.raises(ActiveContent) as found:
        check_pdf(content)
    assert found.value.name == "JavaScript"


@pytest.mark.parametrize("name", [n.decode() for n in ACTIVE_NAMES])
def test_every_active_name_is_refused(name):
    with pytest.raises(ActiveContent) as found:
        check_pdf(page_pdf(b"/Extra << /S /%s >>" % name.encode()))
    assert found.value.name == name


@pytest.mark.parametrize(
    "written", [b"/#4a#61#76#61#53#63#72#69#70#74", b"/#4A#61#76#61#53#63#72#69#70#74", b"/Java#53cript"]
)
def test_hex_escapes_in_either_case_are_read(written):
    with pytest.raises(ActiveContent):
        check_pdf(page_pdf(b"/OpenAction << /S %s /JS (x) >>" % written))


@pytest.mark.parametrize(
    "extra",
    [
        b"/Info (A note on JavaScript and Launch)",  # words in a string, not names
        b"/JavaScriptX 1",  # a longer name is another name
        b"/XFAForm 1",
        b"/JS (1)",  # the key alone: a script needs /S /JavaScript to run
    ],
    ids=["words", "longer-name", "longer-xfa", "js-key-alone"],
)
def test_what_only_looks_like_an_active_name_passes(extra):
    check_pdf(page_pdf(extra))


def test_the_name_ends_at_any_delimiter():
    for after in (b"(", b"<", b"[", b"/", b"%", b"\x00", b"\n"):
        with pytest.raises(ActiveContent):
            check_pdf(page_pdf(b"/OpenAction << /S /JavaScript" + after + b" >>"))


@pytest.mark.parametrize(
    ("encode", "filters"),
    [
        (zlib.compress, b""),  # the dictionary does not say the data is compressed
        (zlib.compress, b"/DCTDecode"),  # or says it is an image
        (lambda d: binascii.hexlify(zlib.compress(d)) + b">", b"[/ASCIIHexDecode /FlateDecode]"),
        (lambda d: zlib.compress(binascii.hexlify(d) + b">"), b"[/FlateDecode /ASCIIHexDecode]"),
        (lambda d: zlib.compress(zlib.compress(d)), b"[/FlateDecode /FlateDecode]"),
        (lambda d: b"<~" + pdf_samples.ascii85_flate(d), b"[/A85 /Fl]"),
    ],
    ids=["unstated", "misstated", "hex-flate", "flate-hex", "flate-flate", "abbreviated"],
)
def test_object_streams_are_decoded_whatever_their_dictionary_says(encode, filters):
    with pytest.raises(ActiveContent):
        check_pdf(object_stream_pdf(ALERT, encode=encode, filters=filters))


def test_javascript_before_damaged_compressed_data_is_found():
    # Readers show what inflates before the damage; the check must look at it too.
    packed = zlib.compress(b"1 0 << /Type /Catalog " + ALERT + b" >>" + bytes(range(256)) * 50)
    damaged = packed[: len(packed) // 2] + b"\xff" * 64
    with pytest.raises(ActiveContent):
        check_pdf(object_stream_pdf(encode=lambda _: damaged))


@pytest.mark.parametrize(
    "content",
    [
        pdf_samples.ENCRYPTED,
        page_pdf(b"", stream(b"\x80\x0b\x60\x50", b"/Filter /LZWDecode")),
        page_pdf(b"", stream(b"\x80\x0b\x60\x50", b"/Filter /Crypt")),
    ],
    ids=["encrypted", "lzw", "crypt-filter"],
)
def test_content_that_cannot_be_read_is_uncheckable(content):
    with pytest.raises(Uncheckable):
        check_pdf(content)


def test_a_decompression_bomb_is_uncheckable():
    bomb = page_pdf(b"", stream(zlib.compress(b"\0" * 10_000_000, 9), b"/Filter /FlateDecode"))
    assert len(bomb) < 20_000
    with pytest.raises(Uncheckable):
        check_pdf(bomb, max_decoded=5_000_000)


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n" + b">>stream\n" * 100_000,
        b"%PDF-1.7\n" + b"/" * 1_000_000,
        b"%PDF-1.7\n<<>>stream\n" + b"0" * 3_000_000,
    ],
    ids=["stream-keywords", "slashes", "long-hex-run"],
)
def test_work_is_bounded_whatever_the_file_holds(content):
    with pytest.raises(Uncheckable):
        check_pdf(content, max_decoded=2_000_000)


def test_a_large_ordinary_pdf_fits_the_default_bound():
    # Twenty megabytes of image-like data in deflate streams: decoded and scanned, and not refused.
    images = [
        stream(
            zlib.compress(hashlib.shake_256(b"%d" % page).digest(1_000_000), 0),
            b"/Type /XObject /Subtype /Image /Filter /FlateDecode",
        )
        for page in range(20)
    ]
    check_pdf(page_pdf(b"", *images))
