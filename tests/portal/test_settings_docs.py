"""The README's configuration table is the public list of environment variables: every one the settings read is
in it, so a deployment can rely on it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READERS = re.compile(r"""(?:env_(?:str|int|bool|list)|fernet_keys|environ\.get)\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def test_every_environment_variable_the_settings_read_is_in_the_readme():
    names = set()
    for path in (ROOT / "portal" / "settings").glob("*.py"):
        names |= set(READERS.findall(path.read_text()))
    assert {"SECRET_KEY", "DATABASE_URL", "TRUST_X_FORWARDED_FOR", "FIELD_ENCRYPTION_KEYS"} <= names
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert missing == [], f"Document these in README.md's configuration table: {missing}"
