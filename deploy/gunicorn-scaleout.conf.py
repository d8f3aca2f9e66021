"""gunicorn settings of one scale-out process: gevent, PostgreSQL, Redis message queue.

Run one such process per core and per machine, each on its own PORT, behind nginx with
sticky sessions (deploy/nginx.conf). Requires ACCUEIL_ASYNC_MODE=gevent, a PostgreSQL
DATABASE_URL (gevent and SQLite do not mix) and REDIS_URL. Never --preload with gevent:
the worker must patch the standard library before the app is imported.
"""
import os

from web.logs import gunicorn_logconfig, gunicorn_logger_class

port = os.environ.get("PORT", "8001")
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{port}"
worker_class = "gevent"
workers = 1  # Socket.IO sessions live in the process: one worker per gunicorn
worker_connections = int(os.environ.get("ACCUEIL_WORKER_CONNECTIONS", "2000"))  # gunicorn's default 1000 is too few
timeout = 60
graceful_timeout = 20  # requests in flight finish on SIGTERM
preload_app = False
# Several gunicorns on one host must not share the default control socket path.
control_socket = os.environ.get("ACCUEIL_CONTROL_SOCKET", f"/run/accueil/gunicorn-{port}.ctl")
accesslog = None  # would record ticket links (secrets)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
logconfig_dict = gunicorn_logconfig(loglevel)
logger_class = gunicorn_logger_class()
