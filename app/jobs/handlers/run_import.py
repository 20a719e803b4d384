"""Import one uploaded registry file (written by ``imports.start_import``): on a thread of its own without
Redis, so the upload returns at once and the import page shows the progress."""

from app.jobs import job_kind
from app.services import imports


@job_kind("run_import", background=True)
def run(message, *, now):
    imports.run_import(message.payload["import_id"], now=now)
