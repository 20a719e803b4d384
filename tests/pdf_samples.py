"""Small PDFs built by hand for the upload checks: one clean page, and the same page with active content
written the ways it is found in the wild (plain, name-escaped, inside a compressed object stream)."""

import base64
import zlib

CATALOG = b"/Type /Catalog /Pages 2 0 R"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
    b" /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"
)
TEXT = b"BT /F1 12 Tf 72 760 Td (Gia dinh hoc tap) Tj ET"


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (entries, len(data), data)


def pdf(*objects: bytes, trailer: bytes = b"") -> bytes:
    """Objects 1..n with a cross-reference table, as a writer lays them out."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(out)


def page_pdf(catalog_extra: bytes = b"", *more: bytes, trailer: bytes = b"") -> bytes:
    """One page of text; ``catalog_extra`` goes into the catalog, ``more`` are objects 5 onwards."""
    contents = stream(zlib.compress(TEXT), b"/Filter /FlateDecode")
    return pdf(b"<< %s %s >>" % (CATALOG, catalog_extra), PAGES, PAGE, contents, *more, trailer=trailer)


def object_stream_pdf(catalog_extra: bytes = b"", *, encode=zlib.compress, filters=b"/FlateDecode") -> bytes:
    """PDF 1.5 layout: the catalog sits compressed in an object stream, found through an xref stream."""
    catalog = b"<< %s %s >>" % (CATALOG, catalog_extra)
    packed = b"1 0 " + catalog
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    objects = {
        2: PAGES,
        3: PAGE,
        4: stream(zlib.compress(TEXT), b"/Filter /FlateDecode"),
        5: stream(encode(packed), b"/Type /ObjStm /N 1 /First 4 /Filter %s" % filters),
    }
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets[6] = len(out)
    rows = [(0, 0, 65535), (2, 5, 0)] + [(1, offsets[n], 0) for n in (2, 3, 4, 5, 6)]
    table = b"".join(
        kind.to_bytes(1, "big") + a.to_bytes(4, "big") + b.to_bytes(2, "big") for kind, a, b in rows
    )
    xref = stream(zlib.compress(table), b"/Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode")
    out += b"6 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n" % (xref, offsets[6])
    return bytes(out)


def ascii85_flate(data: bytes) -> bytes:
    return base64.a85encode(zlib.compress(data)) + b"~>"


CLEAN = page_pdf()
OPEN_ACTION_JS = page_pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
LAUNCH = page_pdf(b"/OpenAction << /S /Launch /F (cmd.exe) >>")
EMBEDDED_FILES = page_pdf(
    b"/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
    b"<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>",
    stream(b"MZ", b"/Type /EmbeddedFile"),
)
ESCAPED_NAME = page_pdf(b"/OpenAction << /S /J#61va#53cript /JS (app.alert(1)) >>")
JS_IN_OBJECT_STREAM = object_stream_pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
JS_IN_ASCII85_OBJECT_STREAM = object_stream_pdf(
    b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
    encode=ascii85_flate,
    filters=b"[/ASCII85Decode /FlateDecode]",
)
CLEAN_OBJECT_STREAM = object_stream_pdf()
ENCRYPTED = page_pdf(
    b"",
    b"<< /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>",
    trailer=b"/Encrypt 5 0 R /ID [<00><00>]",
)
