from django.apps import AppConfig


class OpentextEmulatorConfig(AppConfig):
    name = "apps.emulators.opentext"
    label = "emulator_opentext"
    verbose_name = "Emulator: OpenText Workflow Service"
