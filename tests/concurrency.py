"""Running one function from several threads at the same instant (PostgreSQL concurrency tests)."""

import threading

from django.db import connection


def at_once(function, times: int) -> list:
    """Call ``function()`` from ``times`` threads released together; return what each returned."""
    barrier, results = threading.Barrier(times), []

    def run():
        barrier.wait()
        try:
            results.append(function())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
