from pathlib import Path

import pytest

from workflow import WorkflowRuntime, compile_procedure, load_procedure_folder

PROCEDURE_DIR = Path(__file__).resolve().parents[3] / "bpmn" / "gia_dinh_hoc_tap"


def _shipped_package():
    return load_procedure_folder(PROCEDURE_DIR)


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
