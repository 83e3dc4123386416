from django.apps import AppConfig


class ReceiverEmulatorConfig(AppConfig):
    name = "apps.emulators.receiver"
    label = "emulator_receiver"
    verbose_name = "Emulator: an integrator's webhook receiver"
