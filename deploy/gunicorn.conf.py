"""gunicorn settings of the embedded default: one process, gevent, SQLite.

One gevent worker holds every live page (phones, consoles, displays) as a greenlet, a few
kB each, so an open page costs almost nothing and HTTP is never starved by sockets: see
the README's capacity section for the figures. SQLite is kept off the event loop's way:
the process's writers take turns on a cooperative lock, and SQLite itself never waits for
its lock (accueil/db.py). Never more than one worker per gunicorn (Socket.IO sessions live
in the process), never --preload (the worker must patch the standard library first).
"""
import os

from web.logs import gunicorn_logconfig, gunicorn_logger_class

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gevent"
workers = 1
# Simultaneous connections (live pages and HTTP requests) the worker accepts; gunicorn's 1000 is too few.
worker_connections = int(os.environ.get("ACCUEIL_WORKER_CONNECTIONS", "2000"))
timeout = 60
graceful_timeout = 10
preload_app = False
# Each gunicorn would fight over one default control socket path; we do not use it.
control_socket_disable = True
# Access logs would record ticket links (secrets): off. Errors go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
logconfig_dict = gunicorn_logconfig(loglevel)
logger_class = gunicorn_logger_class()


def post_worker_init(worker):
    """Leave the app's long-lived objects (modules, templates, table metadata) out of garbage collection.

    With a thousand live pages, every full collection would also walk them all: a pause felt by
    every socket at once. Freezing what exists once the app is loaded keeps those pauses short.
    """
    import gc

    gc.freeze()
