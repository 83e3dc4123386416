"""Model fields shared by several apps."""

from django.db import models


class BulkInsertJSONField(models.JSONField):
    """A JSONField that ``bulk_create`` inserts with one placeholder per value rather than through ``UNNEST``.

    Django 5.2 bulk-inserts on PostgreSQL by passing each column as an array (``UNNEST(%s::jsonb[])``); psycopg
    then writes every JSON document into a text array, escaping its quotes with regular expressions. For the
    synced licence data (1-2 KB per document, a dozen JSON columns per term) that escaping took about half of
    each page's upsert; a field that declares a placeholder makes Django use plain ``VALUES`` rows instead
    (measured on 100-row asset upserts: 90 ms → 50 ms).
    """

    def get_placeholder(self, value, compiler, connection):
        return "%s"
