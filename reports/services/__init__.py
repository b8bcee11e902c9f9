"""Every write of the reports app: export jobs, imports and import jobs.

The app's one error type is `ReportError` (defined next to the report parameters in
summary.py, re-exported here); a refused import raises `ImportRefused` with the row-numbered
errors. Entries are created through `timetracking.services.entry_create`, so an imported row
obeys exactly the rules of a typed one (overlap, archived project, membership, max length).

One module per sub-domain: `common` (the import errors, and starting a run of either kind of
job), `export_jobs`, `import_jobs` and `housekeeping` (the periodic requeue and purge). The
file formats are not here: reports.exports writes and reports.imports reads them. Callers
import from `reports.services`, which re-exports them here.
"""

from reports.services.common import ImportConflict, ImportRefused
from reports.services.export_jobs import export_is_large, export_job_create, export_job_run, export_start
from reports.services.housekeeping import jobs_purge, jobs_requeue_waiting
from reports.services.import_jobs import (
    PREVIEW_ROWS,
    PROGRESS_EVERY,
    ImportOutcome,
    check_import_target,
    entries_import,
    import_is_large,
    import_job_create,
    import_job_preview,
    import_job_progress,
    import_job_rows,
    import_job_run,
    import_job_start,
    import_progress_key,
    import_target,
    import_upload,
    parse_upload,
)
from reports.summary import ReportError, ReportNotFound

__all__ = [
    "PREVIEW_ROWS",
    "PROGRESS_EVERY",
    "ImportConflict",
    "ImportOutcome",
    "ImportRefused",
    "ReportError",
    "ReportNotFound",
    "check_import_target",
    "entries_import",
    "export_is_large",
    "export_job_create",
    "export_job_run",
    "export_start",
    "import_is_large",
    "import_job_create",
    "import_job_preview",
    "import_job_progress",
    "import_job_rows",
    "import_job_run",
    "import_job_start",
    "import_progress_key",
    "import_target",
    "import_upload",
    "jobs_purge",
    "jobs_requeue_waiting",
    "parse_upload",
]
