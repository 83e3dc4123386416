"""One Role row per RoleCode. Later migrations add rows when RoleCode grows."""

from django.db import migrations

ROLE_CODES = [
    "requester",
    "reviewer",
    "legal",
    "brand",
    "marketing",
    "compliance",
    "product",
    "content_manager",
    "procurement",
    "content_owner",
    "creative",
    "agency_admin",
    "external",
    "integrator",
]


def create_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code in ROLE_CODES:
        Role.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
