import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.prod")
application = get_wsgi_application()

# What is loaded now (Django, the apps, the URL configuration: most of a worker's objects) lives as long as the
# worker: kept out of the collector's view, a full collection scans only what requests made. A full collection over
# the whole heap paused a request for 50-110 ms, one request in ten under matching's load (bench/README.md,
# "Matching"). With gunicorn's --preload the forked workers also keep sharing those pages.
gc.freeze()
