"""gunicorn settings for the desk's HTTP side (README, "Production").

    .venv/bin/gunicorn -c deploy/gunicorn.conf.py

Sync workers behind nginx: nginx buffers slow clients, so a worker only ever waits on
the database, and each worker is one process with its own GIL. Websockets never come
here (nginx sends /ws/ to Daphne).
"""

import os

wsgi_app = "helpdesk.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
# One per core, plus one: a page is CPU-bound Python (~20 ms) with a few ms of waiting for
# PostgreSQL, so the extra worker fills a core while another waits; more only add switching
# on a machine that also runs PostgreSQL. Each worker holds one database session.
workers = int(os.environ.get("GUNICORN_WORKERS", "") or (os.cpu_count() or 1) + 1)
worker_class = "sync"
# A request that takes this long is stuck; the worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Restart each worker now and then (with jitter, not all at once) to bound memory growth.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# nginx on this machine sets X-Forwarded-Proto; trust it from nowhere else.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Django is loaded in each worker after the fork: no database pool or Redis
# connection is ever shared between processes.
preload_app = False
# gunicorn 25+ opens a control socket in the home directory; SIGHUP (systemctl reload) is
# all the recipe needs, and two instances on one machine would share that path.
control_socket_disable = True
