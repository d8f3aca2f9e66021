"""gunicorn settings of the embedded default: one process, threads, SQLite.

`async_mode="threading"` with the gthread worker: every websocket holds a thread, so
threads must exceed the peak of open sockets (consoles, displays, phones) plus ~20 for
HTTP. Never more than one worker per gunicorn: Socket.IO sessions live in the process.
"""
import os

from web.logs import gunicorn_logconfig

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = 1
threads = int(os.environ.get("ACCUEIL_THREADS", "200"))
timeout = 60
graceful_timeout = 10
# Each gunicorn would fight over one default control socket path; we do not use it.
control_socket_disable = True
# Access logs would record ticket links (secrets): off. Errors go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
logconfig_dict = gunicorn_logconfig(loglevel)
