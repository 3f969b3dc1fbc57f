import os

import django

from ponder.lib import memory

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ponder.settings")
memory.limit_malloc_arenas()  # before the threads of the views' pool start (ponder/lib/memory.py)
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does

from ponder.lib.handler import PooledASGIHandler  # noqa: E402 - needs the apps loaded

application = PooledASGIHandler()
