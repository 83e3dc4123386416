from django.apps import AppConfig


class SmintioEmulatorConfig(AppConfig):
    name = "apps.emulators.smintio"
    label = "emulator_smintio"
    verbose_name = "Emulator: Smint.io"
