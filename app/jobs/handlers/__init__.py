"""One module per kind of background job; each registers its handler with ``app.jobs.job_kind``."""
