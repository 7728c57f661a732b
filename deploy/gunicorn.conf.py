"""gunicorn settings for production behind nginx (deploy/safer-schools.nginx.conf).

Sync workers are enough because nginx buffers slow clients; threads let a worker overlap
database waits. Rate limits are shared through Redis, so any number of workers is safe.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 30
graceful_timeout = 10
keepalive = 5
# Never log request bodies or query strings: they may hold answers or codes.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
