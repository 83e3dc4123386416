"""``OutboxMessage`` and ``CircuitBreaker`` belong to the outbox app now (``outbox.0001_initial`` adds them to its
state); they leave this app's migration state only. Their tables keep the names this app gave them."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0003_inbound_target_note"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CircuitBreaker"),
                migrations.DeleteModel(name="OutboxMessage"),
            ],
            database_operations=[],
        ),
    ]
