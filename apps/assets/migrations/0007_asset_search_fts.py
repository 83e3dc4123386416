"""Full-text search for matching creative requests to assets (issue 13, item 4; ``apps/creative/matching.py``).

``asset_client_search_fts`` (PostgreSQL): a GIN index on ``(client_id, to_tsvector('simple', name || description ||
keywords))`` (``btree_gin``, created by 0003, puts the client in the same index), so "assets of this client whose text
holds one of the brief's words" reads only that client's hits. The expression must stay identical to
``matching.SEARCH_VECTOR``, or PostgreSQL does not use the index. The ``simple`` configuration (no stemming, no stop
words) keeps the words as typed, in any language. SQLite (the embedded default, small data) scans.
"""

from django.db import migrations

VECTOR = "to_tsvector('simple'::regconfig, name::text || ' ' || description || ' ' || keywords::text)"


def create_fts(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS asset_client_search_fts ON assets_asset USING gin (client_id, ({VECTOR}))"
    )


def drop_fts(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS asset_client_search_fts")


class Migration(migrations.Migration):
    dependencies = [("assets", "0006_asset_renewal_recorded_until")]
    operations = [migrations.RunPython(create_fts, drop_fts)]
