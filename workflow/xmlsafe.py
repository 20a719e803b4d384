"""Hardened XML parsing for uploaded BPMN/DMN.

SpiffWorkflow parses with lxml defaults, and whether those resolve entities depends on the lxml version
(4.x read local files through XXE). Uploads are therefore parsed here first, and only the resulting tree
is handed to the BPMN parser. DTDs have no legitimate use in BPMN/DMN, so any DOCTYPE or entity
declaration is refused outright instead of being neutralised.
"""

import re

from lxml import etree

from .errors import Problem, ProcedureError

_ENCODING_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def _parser() -> etree.XMLParser:
    # A parser object is not thread-safe, so each call gets its own (construction is cheap).
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_xml(data: bytes, *, filename: str, max_bytes: int = 2_000_000) -> etree._Element:
    if not isinstance(data, bytes | bytearray):
        raise ProcedureError(Problem("nội dung XML phải là bytes", file=filename))
    if len(data) > max_bytes:
        raise ProcedureError(
            Problem(f"tệp quá lớn ({len(data)} byte, tối đa {max_bytes} byte)", file=filename)
        )
    if not data.strip():
        raise ProcedureError(Problem("tệp rỗng", file=filename))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProcedureError(
            Problem(f"tệp không phải UTF-8 hợp lệ (byte {exc.start})", file=filename)
        ) from exc
    declared = _ENCODING_DECL.match(data.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise ProcedureError(
            Problem(f"chỉ chấp nhận mã hóa UTF-8, tệp khai báo {declared.group(1).decode()}", file=filename)
        )
    # Checked on the text, before libxml2 sees it, so no DTD feature is ever exercised.
    found = [at for at in (text.find("<!DOCTYPE"), text.find("<!ENTITY")) if at >= 0]
    if found:
        line = text.count("\n", 0, min(found)) + 1
        raise ProcedureError(
            Problem("không được dùng DOCTYPE hoặc khai báo ENTITY trong tệp XML", file=filename, line=line)
        )
    try:
        root = etree.fromstring(bytes(data), parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ProcedureError(
            Problem(f"XML không hợp lệ: {exc.msg}", file=filename, line=exc.lineno or None)
        ) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        raise ProcedureError(Problem("không được dùng DOCTYPE trong tệp XML", file=filename))
    if next(root.iter(etree.Entity), None) is not None:
        raise ProcedureError(Problem("không được dùng tham chiếu ENTITY trong tệp XML", file=filename))
    return root
