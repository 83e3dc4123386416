"""Full-text search over available assets only (``apps/creative/matching.py``, bench/README.md "Matching").

``asset_client_search_fts`` (0007) indexed every asset's text: a brief's "any word" tier read every client's hits
(48,683 at 1M assets) and intersected them with the client's available assets, 41 ms of a 49 ms statement.
Matching only ever searches available assets (approved, valid rights: the stored half of ``available_condition()``),
so ``asset_client_available_fts`` is the same GIN index restricted to them: 11 ms for the same statement.

The expression must stay identical to ``matching.SEARCH_VECTOR``. Built ``CONCURRENTLY`` (no write lock on the asset
table while it builds), hence a non-atomic migration. SQLite (the embedded default, small data) scans.
"""

from django.db import migrations

VECTOR = "to_tsvector('simple'::regconfig, name::text || ' ' || description || ' ' || keywords::text)"
AVAILABLE = "approval_state = 'approved' AND rights_state = 'valid'"


def available_only(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS asset_client_available_fts ON assets_asset "
        f"USING gin (client_id, ({VECTOR})) WHERE {AVAILABLE}"
    )
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS asset_client_search_fts")


def every_asset(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS asset_client_search_fts ON assets_asset USING gin (client_id, ({VECTOR}))"
    )
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS asset_client_available_fts")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("assets", "0008_asset_hold")]
    operations = [migrations.RunPython(available_only, every_asset)]
