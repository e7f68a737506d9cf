"""Gunicorn settings for the moderation service (`gunicorn --config service/gunicorn_conf.py`).

Each value can be overridden on the command line (e.g. `--bind`) or with the environment
variables named below. Why these values:
- 2 workers by default, one process per core on the small hosts this targets: intake is CPU
  work (parsing, scoring, one SQLite write), so more workers than cores only queue on the CPU.
  Raise GUNICORN_WORKERS to about the core count.
- Threaded workers (gthread), 8 threads each (GUNICORN_THREADS): not for parallel Python, which
  the GIL forbids, but so that comments arriving together reach the worker's batcher together
  and are scored in one call and committed in one transaction (service/batching.py; with 16
  concurrent clients this more than halves the cost per comment, bench/README.md). Threads
  also keep a slow client from holding the whole worker, and allow keep-alive connections.
- timeout 30 s: a request that takes longer is stuck (a locked database, a wedged model); the
  worker is killed and replaced rather than holding a slot. graceful_timeout gives in-flight
  requests the same time on restart/deploy.
- No preload: each worker loads the model and opens its own database connections after the fork,
  so no connection or file handle is shared between processes.
- max_requests with jitter recycles workers slowly, bounding any slow leak without restarting
  all of them at once.
"""

import os

# One BLAS/OpenMP thread per worker: the workers already use the cores, and numpy's thread pools
# would otherwise oversubscribe them. Set before the workers import numpy (no preload).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = timeout
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "2"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
preload_app = False
# Access logs cost a write per request; on by default for operators, off for benchmarks.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# The Docker image keeps its worker heartbeat files in memory instead of on the container's disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
