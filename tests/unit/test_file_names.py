"""Upload file names: what is kept of the uploader's name, and the extension taken from the content."""

import pytest

from app.services.evidence import MAX_NAME_CHARS, clean_file_name


@pytest.mark.parametrize(
    ("name", "mime_type", "kept"),
    [
        ("hoc-ba.pdf", "application/pdf", "hoc-ba.pdf"),
        ("invoice\u202egnp.exe", "image/png", "invoicegnp.png"),
        (
            "a\u202ab\u202bc\u202cd\u202de\u2066f\u2067g\u2068h\u2069i\u200ej\u200fk\u061cl.png",
            "image/png",
            "abcdefghijkl.png",
        ),
        ("zero\u200bwidth\ufeff.png", "image/png", "zerowidth.png"),
        ("nul\x00bell\x07esc\x1b.pdf", "application/pdf", "nulbellesc.pdf"),
        ("C:\\Users\\me\\Desktop\\hoc ba.pdf", "application/pdf", "hoc ba.pdf"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("a/b\\c.pdf", "application/pdf", "c.pdf"),
        ("line\nbreak\ttab\u2028sep\u00a0nbsp.pdf", "application/pdf", "line break tab sep nbsp.pdf"),
        ("Ho\u0323c ba\u0323.pdf", "application/pdf", "Học bạ.pdf"),
        # A dropped character between a letter and its accent leaves them to be composed.
        ("Ho\u200b\u0323c.pdf", "application/pdf", "Học.pdf"),
        ("anh.JPEG", "image/jpeg", "anh.jpg"),
        ("scan.exe", "image/jpeg", "scan.jpg"),
        ("giay khen", "image/png", "giay khen.png"),
        (".hidden.png", "image/png", "hidden.png"),
        ("trailing. . .pdf", "application/pdf", "trailing.pdf"),
        ("", "application/pdf", "minh-chung.pdf"),
        (None, "image/png", "minh-chung.png"),
        ("\u202e\x00 \u200f.pdf", "application/pdf", "minh-chung.pdf"),
    ],
)
def test_names_are_cleaned(name, mime_type, kept):
    assert clean_file_name(name, mime_type) == kept


def test_a_long_name_is_cut_by_characters_keeping_the_extension():
    kept = clean_file_name("Giấy khen học tập " * 40 + ".pdf", "application/pdf")
    assert len(kept) == MAX_NAME_CHARS or len(kept) == MAX_NAME_CHARS - 1  # a space at the cut is dropped
    assert kept.startswith("Giấy khen học tập Giấy") and kept.endswith(".pdf")
    assert not kept.endswith(" .pdf")
