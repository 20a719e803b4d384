"""Files stored by content in the data folder: ``DATA_DIR/<folder>/<first two hex digits>/<sha256>``.

Evidence uploads, generated documents and uploaded registry files (imports) live this way: a file never
changes once written, the same content is stored once, and a write goes to a temporary file renamed into
place, so a reader never sees half a file. Backups take exactly these blobs from each folder
(app/services/backup.py).
"""

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app

FOLDERS = ("evidence", "documents", "imports")


def blob_path(folder: str, sha256: str) -> Path:
    return Path(current_app.config["DATA_DIR"]) / folder / sha256[:2] / sha256


def store_blob(folder: str, content: bytes) -> str:
    """Write ``content`` under its sha256 in ``folder`` (once) and return the sha256."""
    sha256 = hashlib.sha256(content).hexdigest()
    path = blob_path(folder, sha256)
    if path.exists():
        return sha256
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    os.replace(tmp, path)
    return sha256
