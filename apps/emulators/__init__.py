"""Faithful local stand-ins of Smint.io and OpenText Workflow Service (dev, demo, tests).

Nothing in the portal imports these apps: they are reached over HTTP only, exactly like the real platforms, and are
mounted by URL configuration when ``EMULATORS`` is on (``/emulators/smintio/``, ``/emulators/opentext/``), or run
standalone with ``manage.py run_emulator smintio|opentext --port N``.
"""
