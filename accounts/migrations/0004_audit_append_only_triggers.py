"""Make the audit trail append-only in the database itself.

UPDATE is always refused; DELETE is refused unless a row exists in the purge permit table,
which only the retention purge (accounts.services.audit_purge) inserts and removes inside
its own transaction. The permit table has no model on purpose: nothing but that service
writes it.
"""

from django.db import migrations

POSTGRESQL_FORWARD = [
    "CREATE TABLE accounts_auditpurgepermit (granted integer NOT NULL)",
    """
    CREATE FUNCTION accounts_auditevent_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM accounts_auditpurgepermit) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'accounts_auditevent is append-only: % refused', TG_OP;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER accounts_auditevent_append_only
    BEFORE UPDATE OR DELETE ON accounts_auditevent
    FOR EACH ROW EXECUTE FUNCTION accounts_auditevent_append_only()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent",
    "DROP FUNCTION IF EXISTS accounts_auditevent_append_only()",
    "DROP TABLE IF EXISTS accounts_auditpurgepermit",
]
SQLITE_FORWARD = [
    "CREATE TABLE accounts_auditpurgepermit (granted integer NOT NULL)",
    """
    CREATE TRIGGER accounts_auditevent_no_update BEFORE UPDATE ON accounts_auditevent
    BEGIN SELECT RAISE(ABORT, 'accounts_auditevent is append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER accounts_auditevent_no_delete BEFORE DELETE ON accounts_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM accounts_auditpurgepermit)
    BEGIN SELECT RAISE(ABORT, 'accounts_auditevent is append-only: DELETE refused'); END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS accounts_auditevent_no_update",
    "DROP TRIGGER IF EXISTS accounts_auditevent_no_delete",
    "DROP TABLE IF EXISTS accounts_auditpurgepermit",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_audit_event")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
