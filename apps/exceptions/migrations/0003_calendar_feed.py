"""Calendar feeds get their own table (``CalendarFeed``) instead of living in the audit trail.

Carried over: each person's feed as the ``exceptions.calendar_feed.rotate`` / ``.stop`` audit events of the trail
left it (replayed in order, as the new services would have done). Its ``version`` is the id of the person's latest
rotate event, which is exactly the salt the token was signed with before, so every feed URL in use keeps working
and every replaced or turned-off URL stays dead. Feeds of people since deleted are not carried over. The audit
events stay as they are (append-only); later rotations and stops are still recorded there as events.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

ROTATE, STOP = "exceptions.calendar_feed.rotate", "exceptions.calendar_feed.stop"


def carry_over(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    CalendarFeed = apps.get_model("exceptions", "CalendarFeed")
    User = apps.get_model("accounts", "User")
    feeds = {}
    events = (
        AuditEvent.objects.filter(action__in=[ROTATE, STOP], actor_id__isnull=False)
        .order_by("id")
        .values_list("actor_id", "id", "action", "created_at")
    )
    for owner_id, event_id, action, at in events.iterator(chunk_size=2000):
        feed = feeds.get(owner_id)
        if action == ROTATE:
            if feed is None or feed.revoked_at is not None:  # created, or created again after it was turned off
                feed = feeds[owner_id] = CalendarFeed(owner_id=owner_id, version=event_id, created_at=at)
            else:
                feed.version, feed.rotated_at = event_id, at
        elif feed is not None and feed.revoked_at is None:
            feed.revoked_at = at
    owners = set(User.objects.filter(pk__in=list(feeds)).values_list("pk", flat=True))
    CalendarFeed.objects.bulk_create([feed for owner_id, feed in feeds.items() if owner_id in owners])


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_search_trigram_indexes'),
        ('clients', '0004_client_review_horizon_days_client_review_regions_and_more'),
        ('exceptions', '0002_compliance_rules'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CalendarFeed',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveBigIntegerField(help_text='Salts the token; a new one invalidates every earlier URL.')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('rotated_at', models.DateTimeField(blank=True, help_text='When the URL was last replaced.', null=True)),
                ('revoked_at', models.DateTimeField(blank=True, help_text='When the feed was turned off.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='When a calendar last read it (±15 min).', null=True)),
                ('client', models.ForeignKey(blank=True, help_text="Only this client's lapses; empty: every client of the owner.", null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='clients.client')),
                ('owner', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='calendar_feed', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-id'],
            },
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
    ]
