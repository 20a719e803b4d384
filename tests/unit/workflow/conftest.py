import dataclasses
from pathlib import Path

import pytest

from workflow import WorkflowRuntime, compile_procedure, load_procedure_folder

PROCEDURE_DIR = Path(__file__).resolve().parents[3] / "bpmn" / "gia_dinh_hoc_tap"
FORM_KEYS = ("self_report", "commune_scoring", "district_verification", "city_commendation")


def _shipped_package():
    """The shipped package; form JSON owned by another helper is stubbed where not yet written."""
    package = load_procedure_folder(PROCEDURE_DIR)
    forms = {key: b"{}" for key in FORM_KEYS} | package.forms
    return dataclasses.replace(package, forms=forms)


@pytest.fixture(scope="session")
def procedure_dir():
    return PROCEDURE_DIR


@pytest.fixture(scope="session")
def load_shipped():
    return _shipped_package


@pytest.fixture(scope="session")
def package():
    return _shipped_package()


@pytest.fixture(scope="session")
def proc(package):
    return compile_procedure(package)


@pytest.fixture(scope="session")
def runtime():
    return WorkflowRuntime()
