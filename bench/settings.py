"""The benchmark server's settings: the project's, with bench/urls.py's reference views added.

Set only by bench/runner.py (DJANGO_SETTINGS_MODULE) for `make bench`'s gunicorn and in-process
query count; every other setting is config.settings', read from the same environment.
"""

from config.settings import *  # noqa: F403 - the project's settings, all of them

ROOT_URLCONF = "bench.urls"
