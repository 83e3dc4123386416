"""Issue 12 item 12: ``make run``'s console hides the emulators' request lines unless EMULATOR_REQUEST_LOG is set."""

import logging

from apps.common.server_log import QuietEmulatorRequests


def _line(request_line: str, status: str = "200") -> logging.LogRecord:
    # runserver's WSGIRequestHandler.log_message: '"%s" %s %s' with the request line, status and size
    return logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', (request_line, status, "12"), None
    )


def test_emulator_request_lines_are_dropped_and_the_portals_kept():
    quiet = QuietEmulatorRequests()
    assert not quiet.filter(_line("GET /emulators/smintio/acme/consumer/v1/sync/usage-events HTTP/1.1"))
    assert quiet.filter(_line("GET /sync/ HTTP/1.1"))
    assert quiet.filter(_line("POST /api/v1/tasks/1/decide/ HTTP/1.1", "409"))


def test_the_setting_shows_them_again():
    assert QuietEmulatorRequests(show=True).filter(_line("GET /emulators/opentext/x HTTP/1.1"))


def test_the_dev_settings_wire_the_filter_to_runservers_logger():
    """In a process of its own: importing the dev settings sets environment defaults."""
    import os
    import subprocess
    import sys

    code = (
        "import portal.settings.dev as d; l = d.LOGGING['loggers']['django.server']; "
        "r = d.LOGGING['loggers']['django.request']['filters']; "
        "print(l['filters'], l['handlers'], r, d.LOGGING['filters']['quiet_emulators']['show'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"EMULATOR_REQUEST_LOG", "DJANGO_SETTINGS_MODULE"}}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['quiet_emulators']", "['django.server']", "['quiet_emulators']", "False"]
    env["EMULATOR_REQUEST_LOG"] = "true"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == "True"


def test_djangos_warnings_about_the_emulators_own_answers_are_dropped_too():
    """``django.request`` logs each 4xx with the request attached: the emulators' (OpenText's late history answers a
    new task's comment list with 404s) are dropped, the portal's kept."""
    from django.test import RequestFactory

    quiet = QuietEmulatorRequests()

    def warning(path: str) -> logging.LogRecord:
        record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", (path,), None)
        record.request = RequestFactory().get(path)
        return record

    assert not quiet.filter(warning("/emulators/opentext/workflow/v1/tasks/x/comments"))
    assert quiet.filter(warning("/assets/999/"))
