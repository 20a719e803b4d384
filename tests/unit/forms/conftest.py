import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# The project is not pip-installed into the venv, and plain `pytest` does not put the root on sys.path.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from forms import load_form_definition, load_form_file  # noqa: E402

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
