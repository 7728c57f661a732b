"""gunicorn settings for production behind nginx (deploy/safer-schools.nginx.conf).

Sync workers (one thread each), because nginx buffers slow clients. Measured with
benchmarks/bench_journey.py (100 pupils at once, 5 workers, 2 cores): two threads per worker
gave 7.7 submissions/s and a p99 of 1.0 to 1.6 s, one thread 7.7 to 10 with a p99 of about
0.5 s. Rate limits are shared through Redis, so any number of workers is safe.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 10
keepalive = 5
# nginx keeps the only access log (addresses, paths without query strings, 14 days: P-09);
# errors go to standard error, with bound SQL parameters hidden by the app's engine options.
accesslog = None
errorlog = "-"
