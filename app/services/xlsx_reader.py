"""A fast, hardened reader of an XLSX file's first sheet as rows of values, for registry imports.

openpyxl's read-only mode builds an object per cell and, when the file has no ``<dimension>`` (files
written by openpyxl's write-only mode, and many generators), parses the whole sheet once more just to
size it: 40,000 rows took tens of seconds. This reads the sheet's XML once with lxml ``iterparse`` (no
entities, no network), resolves shared and inline strings, and frees each row once read. Formulas are
read as their cached values; styles, dates and merged cells mean nothing to a registry table.
"""

import posixpath
import re
import zipfile
from io import BytesIO

from lxml import etree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# A part bigger than this once unzipped is refused (a zip bomb, or far beyond any import's row cap).
MAX_PART_BYTES = 512 * 1024 * 1024
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+:[A-Z]+(\d+)\"")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


class XlsxError(Exception):
    """The file is not a readable XLSX workbook."""


def _q(tag: str) -> str:
    return f"{{{MAIN}}}{tag}"


ROW, CELL, VALUE, TEXT = _q("row"), _q("c"), _q("v"), _q("t")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def _part(book: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = book.getinfo(name)
    except KeyError:
        raise XlsxError(f"missing part {name}") from None
    if info.file_size > MAX_PART_BYTES:
        raise XlsxError(f"part {name} too large")
    return book.read(info)


def _first_sheet(book: zipfile.ZipFile) -> str:
    workbook = etree.fromstring(_part(book, "xl/workbook.xml"), _parser())
    sheet = workbook.find(f"{_q('sheets')}/{_q('sheet')}")
    if sheet is None:
        raise XlsxError("no sheet")
    rel_id = sheet.get(f"{{{DOC_REL}}}id")
    rels = etree.fromstring(_part(book, "xl/_rels/workbook.xml.rels"), _parser())
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target") or ""
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    raise XlsxError("sheet relation not found")


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    strings = []
    source = BytesIO(_part(book, "xl/sharedStrings.xml"))
    for _event, item in etree.iterparse(source, tag=_q("si"), resolve_entities=False, no_network=True):
        strings.append(_text(item))
        item.clear()
    return strings


def _text(node) -> str:
    """The text of a string item: its runs, without the phonetic guides (rPh)."""
    return "".join(t.text or "" for t in node.iter(_q("t")) if t.getparent().tag != _q("rPh"))


def _column(ref: str) -> int:
    index = 0
    for letter in ref:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _number(text: str):
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


class Sheet:
    """The first sheet: ``total`` rows (header included) and ``rows()`` → (row number, tuple of values)."""

    def __init__(self, content: bytes):
        try:
            book = zipfile.ZipFile(BytesIO(content))
            self._strings = _shared_strings(book)
            self._data = _part(book, _first_sheet(book))
        except (zipfile.BadZipFile, etree.XMLSyntaxError, ValueError, OSError, RuntimeError) as exc:
            raise XlsxError(str(exc)) from exc
        dimension = _DIMENSION.search(self._data[:4096])
        self.total = int(dimension.group(1)) if dimension else len(_ROW_TAG.findall(self._data))

    def rows(self):
        number = 0
        columns: dict[str, int] = {}
        try:
            for _event, row in etree.iterparse(
                BytesIO(self._data), tag=ROW, resolve_entities=False, no_network=True, huge_tree=False
            ):
                number = int(row.get("r") or number + 1)
                values: list = []
                for position, cell in enumerate(row.iterchildren(CELL)):
                    ref = cell.get("r")
                    if ref:
                        letters = ref.rstrip("0123456789")
                        index = columns.get(letters)
                        if index is None:
                            index = columns[letters] = _column(letters)
                    else:
                        index = position
                    if index >= len(values):
                        values.extend([None] * (index + 1 - len(values)))
                    values[index] = self._value(cell)
                yield number, tuple(values)
                row.clear()
                while row.getprevious() is not None:
                    del row.getparent()[0]
        except etree.XMLSyntaxError as exc:
            raise XlsxError(str(exc)) from exc

    def _value(self, cell):
        kind = cell.get("t")
        if kind == "inlineStr":
            return "".join(cell.itertext(TEXT))
        raw = cell.findtext(VALUE)
        if raw is None:
            return None
        if kind == "s":
            try:
                return self._strings[int(raw)]
            except (ValueError, IndexError):
                return None
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw == "1"
        return _number(raw)
