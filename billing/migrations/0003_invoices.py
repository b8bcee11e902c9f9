"""Invoices, their lines, the entries they hold and the yearly number sequences; and, as for the
audit trail, the database's own guard: an issued invoice and its lines never change (no UPDATE,
no DELETE, no new line), whoever writes."""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POSTGRESQL_FORWARD = [
    """
    CREATE FUNCTION billing_invoice_issued_immutable() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'issued' THEN
            RAISE EXCEPTION 'billing_invoice %: an issued invoice never changes (% refused)', OLD.id, TG_OP;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER billing_invoice_issued_immutable BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_issued_immutable()
    """,
    """
    CREATE FUNCTION billing_invoiceline_issued_immutable() RETURNS trigger AS $$
    DECLARE
        parent integer;
    BEGIN
        IF TG_OP = 'INSERT' THEN parent := NEW.invoice_id; ELSE parent := OLD.invoice_id; END IF;
        IF EXISTS (SELECT 1 FROM billing_invoice WHERE id = parent AND status = 'issued') THEN
            RAISE EXCEPTION 'billing_invoiceline: the lines of issued invoice % never change (% refused)', parent, TG_OP;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER billing_invoiceline_issued_immutable BEFORE INSERT OR UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_issued_immutable()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS billing_invoiceline_issued_immutable ON billing_invoiceline",
    "DROP FUNCTION IF EXISTS billing_invoiceline_issued_immutable()",
    "DROP TRIGGER IF EXISTS billing_invoice_issued_immutable ON billing_invoice",
    "DROP FUNCTION IF EXISTS billing_invoice_issued_immutable()",
]
SQLITE_FORWARD = [
    """
    CREATE TRIGGER billing_invoice_issued_no_update BEFORE UPDATE ON billing_invoice WHEN OLD.status = 'issued'
    BEGIN SELECT RAISE(ABORT, 'billing_invoice: an issued invoice never changes (UPDATE refused)'); END
    """,
    """
    CREATE TRIGGER billing_invoice_issued_no_delete BEFORE DELETE ON billing_invoice WHEN OLD.status = 'issued'
    BEGIN SELECT RAISE(ABORT, 'billing_invoice: an issued invoice never changes (DELETE refused)'); END
    """,
    """
    CREATE TRIGGER billing_invoiceline_issued_no_insert BEFORE INSERT ON billing_invoiceline
    WHEN EXISTS (SELECT 1 FROM billing_invoice WHERE id = NEW.invoice_id AND status = 'issued')
    BEGIN SELECT RAISE(ABORT, 'billing_invoiceline: an issued invoice never changes (INSERT refused)'); END
    """,
    """
    CREATE TRIGGER billing_invoiceline_issued_no_update BEFORE UPDATE ON billing_invoiceline
    WHEN EXISTS (SELECT 1 FROM billing_invoice WHERE id = OLD.invoice_id AND status = 'issued')
    BEGIN SELECT RAISE(ABORT, 'billing_invoiceline: an issued invoice never changes (UPDATE refused)'); END
    """,
    """
    CREATE TRIGGER billing_invoiceline_issued_no_delete BEFORE DELETE ON billing_invoiceline
    WHEN EXISTS (SELECT 1 FROM billing_invoice WHERE id = OLD.invoice_id AND status = 'issued')
    BEGIN SELECT RAISE(ABORT, 'billing_invoiceline: an issued invoice never changes (DELETE refused)'); END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS billing_invoice_issued_no_update",
    "DROP TRIGGER IF EXISTS billing_invoice_issued_no_delete",
    "DROP TRIGGER IF EXISTS billing_invoiceline_issued_no_insert",
    "DROP TRIGGER IF EXISTS billing_invoiceline_issued_no_update",
    "DROP TRIGGER IF EXISTS billing_invoiceline_issued_no_delete",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_budgets"),
        ("timetracking", "0004_started_at_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="InvoiceSequence",
            fields=[
                ("year", models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                ("last", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="Invoice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("invoice", "Invoice"), ("credit_note", "Credit note")],
                        default="invoice",
                        max_length=12,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("draft", "Draft"), ("issued", "Issued")], default="draft", max_length=10
                    ),
                ),
                ("period_from", models.DateField(help_text="The first local day of the entries invoiced.")),
                ("period_to", models.DateField(help_text="The last local day of the entries invoiced.")),
                (
                    "grouping",
                    models.CharField(
                        choices=[
                            ("project", "One line per project"),
                            ("task", "One line per task"),
                            ("entry", "One line per entry"),
                        ],
                        default="project",
                        max_length=10,
                    ),
                ),
                (
                    "currency",
                    models.CharField(
                        choices=[
                            ("AED", "AED"),
                            ("ARS", "ARS"),
                            ("AUD", "AUD"),
                            ("BGN", "BGN"),
                            ("BHD", "BHD"),
                            ("BRL", "BRL"),
                            ("CAD", "CAD"),
                            ("CHF", "CHF"),
                            ("CLP", "CLP"),
                            ("CNY", "CNY"),
                            ("COP", "COP"),
                            ("CZK", "CZK"),
                            ("DKK", "DKK"),
                            ("EGP", "EGP"),
                            ("EUR", "EUR"),
                            ("GBP", "GBP"),
                            ("HKD", "HKD"),
                            ("HUF", "HUF"),
                            ("IDR", "IDR"),
                            ("ILS", "ILS"),
                            ("INR", "INR"),
                            ("ISK", "ISK"),
                            ("JOD", "JOD"),
                            ("JPY", "JPY"),
                            ("KRW", "KRW"),
                            ("KWD", "KWD"),
                            ("MAD", "MAD"),
                            ("MXN", "MXN"),
                            ("MYR", "MYR"),
                            ("NGN", "NGN"),
                            ("NOK", "NOK"),
                            ("NZD", "NZD"),
                            ("OMR", "OMR"),
                            ("PHP", "PHP"),
                            ("PLN", "PLN"),
                            ("QAR", "QAR"),
                            ("RON", "RON"),
                            ("RSD", "RSD"),
                            ("SAR", "SAR"),
                            ("SEK", "SEK"),
                            ("SGD", "SGD"),
                            ("THB", "THB"),
                            ("TND", "TND"),
                            ("TRY", "TRY"),
                            ("TWD", "TWD"),
                            ("UAH", "UAH"),
                            ("USD", "USD"),
                            ("VND", "VND"),
                            ("ZAR", "ZAR"),
                        ],
                        max_length=3,
                    ),
                ),
                (
                    "tax_rate",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        help_text="Per cent, e.g. 19.00.",
                        max_digits=5,
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(100),
                        ],
                    ),
                ),
                ("note", models.TextField(blank=True, max_length=2000)),
                ("year", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("sequence", models.PositiveIntegerField(blank=True, null=True)),
                ("number", models.CharField(blank=True, max_length=40, null=True, unique=True)),
                ("issued_on", models.DateField(blank=True, null=True)),
                ("issued_at", models.DateTimeField(blank=True, null=True)),
                ("net", models.DecimalField(decimal_places=3, default=Decimal("0"), max_digits=15)),
                ("tax", models.DecimalField(decimal_places=3, default=Decimal("0"), max_digits=15)),
                ("gross", models.DecimalField(decimal_places=3, default=Decimal("0"), max_digits=15)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="invoices", to="timetracking.client"
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "credited_invoice",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credit_note",
                        to="billing.invoice",
                    ),
                ),
                (
                    "issued_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="InvoiceLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveIntegerField()),
                (
                    "kind",
                    models.CharField(choices=[("time", "Time"), ("fixed", "Fixed")], default="fixed", max_length=10),
                ),
                ("description", models.CharField(max_length=500)),
                ("quantity", models.DecimalField(decimal_places=4, max_digits=12)),
                ("unit_price", models.DecimalField(decimal_places=3, max_digits=12)),
                ("amount", models.DecimalField(decimal_places=3, max_digits=15)),
                (
                    "tracked_seconds",
                    models.BigIntegerField(default=0, help_text="Time lines: the tracked time, unrounded."),
                ),
                (
                    "billed_seconds",
                    models.BigIntegerField(default=0, help_text="Time lines: the billed (rounded) time."),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="lines", to="billing.invoice"
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="timetracking.project",
                    ),
                ),
                (
                    "task",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="timetracking.task",
                    ),
                ),
            ],
            options={
                "ordering": ["invoice", "position", "pk"],
            },
        ),
        migrations.CreateModel(
            name="InvoicedEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount", models.DecimalField(decimal_places=3, max_digits=15)),
                ("billed_seconds", models.BigIntegerField()),
                (
                    "entry",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="invoicing",
                        to="timetracking.timeentry",
                    ),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="entries", to="billing.invoice"
                    ),
                ),
                (
                    "line",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="entries", to="billing.invoiceline"
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "invoiced entries",
            },
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["client", "status"], name="billing_inv_client__85c90b_idx"),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("period_from__lte", models.F("period_to"))), name="invoice_period_ordered"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("tax_rate__gte", 0), ("tax_rate__lte", 100)), name="invoice_tax_rate_range"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["draft", "issued"])), name="invoice_status_known"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["invoice", "credit_note"])), name="invoice_kind_known"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("number__isnull", True), ("sequence__isnull", True), ("status", "draft")),
                    models.Q(
                        ("number__isnull", False),
                        ("sequence__isnull", False),
                        ("status", "issued"),
                        ("year__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="invoice_numbered_when_issued",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("credited_invoice__isnull", True), ("kind", "invoice")),
                    models.Q(("credited_invoice__isnull", False), ("kind", "credit_note")),
                    _connector="OR",
                ),
                name="invoice_credit_note_credits",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.UniqueConstraint(fields=("year", "sequence"), name="invoice_sequence_unique"),
        ),
        migrations.AddConstraint(
            model_name="invoiceline",
            constraint=models.UniqueConstraint(fields=("invoice", "position"), name="invoiceline_position_unique"),
        ),
        migrations.AddConstraint(
            model_name="invoiceline",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["time", "fixed"])), name="invoiceline_kind_known"
            ),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
