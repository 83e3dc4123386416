"""Connecting through the browser becomes a ``SmintioConnectAttempt`` apart from the connection, so a working
connection is no longer re-pointed (and left "connecting") before Smint.io's consent.

A connection caught in the old "connecting" state (a consent in flight during the upgrade) cannot be finished by
the new worker job: it is recorded as a failed attempt to its tenant ("connect again") and the connection says
what it is without it: connected if it still holds a refresh token, otherwise not connected.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import apps.common.crypto


def connecting_to_attempts(apps, schema_editor):
    SmintioConnection = apps.get_model("clients", "SmintioConnection")
    SmintioConnectAttempt = apps.get_model("clients", "SmintioConnectAttempt")
    now = django.utils.timezone.now()
    for connection in SmintioConnection.objects.filter(status="connecting"):
        SmintioConnectAttempt.objects.create(
            client_id=connection.client_id,
            tenant=connection.tenant,
            status="failed",
            reason="Interrupted by an upgrade of Greenlight; connect again.",
            started_by_id=connection.connected_by_id,
            started_at=connection.updated_at,
            finished_at=now,
        )
        connection.status = "connected" if connection.refresh_token else "not_connected"
        connection.status_reason = ""
        connection.save(update_fields=["status", "status_reason"])


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0004_client_review_horizon_days_client_review_regions_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SmintioConnectAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tenant', models.SlugField(max_length=100)),
                ('status', models.CharField(choices=[('started', 'Waiting for consent on Smint.io'), ('exchanging', 'Consent given; completing'), ('succeeded', 'Connected'), ('failed', 'Failed')], default='started', max_length=20)),
                ('code', apps.common.crypto.EncryptedTextField(blank=True, help_text='The authorization code, until the worker spent it.')),
                ('redirect_uri', models.CharField(blank=True, max_length=500)),
                ('reason', models.TextField(blank=True, help_text='Why it failed.')),
                ('started_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='smintio_attempts', to='clients.client')),
                ('started_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-id'],
                'indexes': [models.Index(fields=['client', '-id'], name='attempt_client_id_idx')],
            },
        ),
        migrations.RunPython(connecting_to_attempts, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='smintioconnection',
            name='pending_code',
        ),
        migrations.RemoveField(
            model_name='smintioconnection',
            name='pending_redirect_uri',
        ),
        migrations.AlterField(
            model_name='smintioconnection',
            name='status',
            field=models.CharField(choices=[('not_connected', 'Not connected'), ('connected', 'Connected'), ('broken', 'Broken')], default='not_connected', max_length=20),
        ),
    ]
