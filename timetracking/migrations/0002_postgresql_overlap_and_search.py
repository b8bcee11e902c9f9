"""PostgreSQL-only parts of the time entry rules, skipped on SQLite (the service checks there):

- an exclusion constraint (btree_gist) so that one user's entries never overlap, a running
  entry reaching to infinity; touching end-to-start is allowed by the half-open '[)' ranges;
- a GIN index for full-text search on the description (`TimeEntryQuerySet.search`).
"""

from django.db import migrations

EXCLUSION_SQL = """
ALTER TABLE timetracking_timeentry ADD CONSTRAINT timeentry_no_overlap
EXCLUDE USING gist (
    user_id WITH =,
    tstzrange(started_at, COALESCE(ended_at, 'infinity'::timestamptz), '[)') WITH &&
)
"""
SEARCH_INDEX_NAME = "timeentry_description_fts"


def _search_index():
    from django.contrib.postgres.indexes import GinIndex

    from timetracking.models import description_search_vector

    # Built from the same expression as the query, so the planner can match them.
    return GinIndex(description_search_vector(), name=SEARCH_INDEX_NAME)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(EXCLUSION_SQL)
    schema_editor.add_index(apps.get_model("timetracking", "TimeEntry"), _search_index())


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("timetracking", "TimeEntry"), _search_index())
    schema_editor.execute("ALTER TABLE timetracking_timeentry DROP CONSTRAINT IF EXISTS timeentry_no_overlap")


class Migration(migrations.Migration):
    dependencies = [("timetracking", "0001_initial_models")]

    operations = [migrations.RunPython(forwards, backwards)]
