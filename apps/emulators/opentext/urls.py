"""Routes relative to the emulator's root; mounted at /emulators/<name>/ in process, at / when standalone."""

urlpatterns: list = []
