import os

from django.core.asgi import get_asgi_application

from ponder.lib import memory

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ponder.settings")
memory.limit_malloc_arenas()  # before the threads of the views' pool start (ponder/lib/memory.py)
application = get_asgi_application()
