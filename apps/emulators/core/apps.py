from django.apps import AppConfig


class EmulatorCoreConfig(AppConfig):
    name = "apps.emulators.core"
    label = "emulator_core"
    verbose_name = "Emulators: shared machinery"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deploy check
