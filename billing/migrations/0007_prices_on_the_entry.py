"""The stored prices move from their own table (billing_entryprice) onto the entries' rows (the
`price_*` columns of timetracking_timeentry): a report sums them in the scan that sums the hours,
without a probe into another table per entry (make bench (k)). The prices are copied, not recomputed."""

from django.db import migrations

# UPDATE ... FROM: PostgreSQL, and SQLite since 3.33.
COPY = """
UPDATE timetracking_timeentry AS e
SET price_currency = p.currency, price_billed_seconds = p.billed_seconds, price_amount = p.amount,
    price_cost = p.cost
FROM billing_entryprice AS p
WHERE p.entry_id = e.id
"""

COPY_BACK = """
INSERT INTO billing_entryprice (entry_id, currency, billed_seconds, amount, cost)
SELECT id, price_currency, price_billed_seconds, price_amount, price_cost
FROM timetracking_timeentry WHERE price_billed_seconds IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_verbose_names"),
        ("timetracking", "0006_entry_prices"),
    ]

    operations = [
        migrations.RunSQL(COPY, COPY_BACK),
        migrations.DeleteModel(name="EntryPrice"),
    ]
