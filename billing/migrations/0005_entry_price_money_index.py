from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_entry_prices"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="entryprice",
            index=models.Index(
                fields=["entry"], include=("currency", "billed_seconds", "amount", "cost"), name="entryprice_money"
            ),
        ),
    ]
