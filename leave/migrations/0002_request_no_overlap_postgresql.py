"""On PostgreSQL, the database itself refuses two pending/approved requests of one user
whose dates overlap (exclusion constraint with btree_gist). SQLite has no such constraint:
there the service's check under the user row lock is the guard."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE leave_leaverequest ADD CONSTRAINT leave_request_no_overlap
    EXCLUDE USING gist (user_id WITH =, daterange(start_date, end_date, '[]') WITH &&)
    WHERE (status IN ('pending', 'approved'))""",
]
DROP = "ALTER TABLE leave_leaverequest DROP CONSTRAINT IF EXISTS leave_request_no_overlap"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("leave", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
