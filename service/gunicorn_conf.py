"""Gunicorn settings for the moderation service (`gunicorn --config service/gunicorn_conf.py`).

Each value can be overridden on the command line (e.g. `--bind`) or with the environment
variables named below. Why these values:
- 2 sync workers by default: intake is short CPU work (scoring, one SQLite write), so one process
  per core on the small hosts this targets. Raise GUNICORN_WORKERS to about the core count; more
  workers than cores only queue on the CPU, and SQLite serialises writes anyway.
- Sync workers, no threads: the classifier holds the GIL while scoring, so threads would add
  contention, not throughput.
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
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = timeout
keepalive = 2
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
preload_app = False
# Access logs cost a write per request; on by default for operators, off for benchmarks.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
# No client address, query string, Referer or user agent (the default format logs all four): the
# logs must carry no raw IP and no e-mail address (a moderator's search may hold one).
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
# The error log names the client of a malformed request; this logger masks addresses.
logger_class = "service.log_redaction.RedactingLogger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# The Docker image keeps its worker heartbeat files in memory instead of on the container's disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
