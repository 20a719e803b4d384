from pathlib import Path

import pytest

from forms import load_form_definition, load_form_file

ROOT = Path(__file__).resolve().parents[3]

SHIPPED_DIR = ROOT / "bpmn" / "gia_dinh_hoc_tap" / "forms"


@pytest.fixture
def make_form():
    """Load a one-off definition from a list of fields (and optional top-level keys)."""

    def make(*fields, **top):
        return load_form_definition({"key": "sample", "title": "Mẫu", "fields": list(fields), **top})

    return make


@pytest.fixture(scope="session")
def shipped():
    return {path.stem: load_form_file(path) for path in sorted(SHIPPED_DIR.glob("*.json"))}
