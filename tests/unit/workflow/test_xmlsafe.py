import pytest

from workflow import ProcedureError, parse_xml


def refused(data, **kwargs):
    with pytest.raises(ProcedureError) as info:
        parse_xml(data, filename="upload.bpmn", **kwargs)
    # Every refusal is located at the uploaded file, so the admin knows which file to fix.
    assert [p.file for p in info.value.problems] == ["upload.bpmn"]
    return str(info.value)


def test_well_formed_xml_is_parsed():
    root = parse_xml(b'<?xml version="1.0" encoding="UTF-8"?><r><!-- keep --><a x="1"/></r>', filename="f")
    assert root.tag == "r"
    assert root.find("a").get("x") == "1"


def test_xxe_reading_a_local_file_is_refused():
    data = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<r>&xxe;</r>"""
    assert "DOCTYPE" in refused(data)


def test_billion_laughs_is_refused():
    entities = "".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};">' for i in range(1, 10))
    data = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{entities}]><r>&l9;</r>'.encode()
    assert "DOCTYPE" in refused(data)


def test_external_dtd_is_refused():
    data = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>'
    assert "DOCTYPE" in refused(data)


def test_undeclared_entity_reference_is_refused():
    refused(b"<r>&xxe;</r>")


def test_oversize_input_is_refused():
    assert "quá lớn" in refused(b"<r>" + b"x" * 200 + b"</r>", max_bytes=100)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"not xml at all",
        b"<r><a></r>",
        b"<r>\xff\xfe</r>",
        b'<?xml version="1.0" encoding="ISO-8859-1"?><r>caf\xe9</r>',
        b'<?xml version="1.0" encoding="ISO-8859-1"?><r/>',
    ],
)
def test_garbage_and_non_utf8_are_refused(data):
    refused(data)


def test_text_input_is_refused():
    with pytest.raises(ProcedureError):
        parse_xml("<r/>", filename="f")
