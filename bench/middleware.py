import time

from django.db import connection


class ServerTimingMiddleware:
    """Adds ``Server-Timing: app;dur=<ms>`` and ``X-Query-Count`` to every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
            if getattr(response, "streaming", False):
                return response
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        response["X-Query-Count"] = str(count[0])
        return response
