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
# Off by default: the service writes its own JSON line per request (service/logs.py), without
# the client's IP address, which gunicorn's access log format starts with. GUNICORN_ACCESSLOG=-
# turns it back on (stdout) where keeping raw IPs in logs is acceptable.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "") or None
# No client address, query string, Referer or user agent (the default format logs all four): the
# logs must carry no raw IP and no e-mail address (a moderator's search may hold one).
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
# The error log names the client of a malformed request; this logger masks addresses.
logger_class = "service.log_redaction.RedactingLogger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# The Docker image keeps its worker heartbeat files in memory instead of on the container's disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# -- Prometheus metrics across workers (service/metrics.py) ---------------------------------------
# Every worker writes its counters to files in PROMETHEUS_MULTIPROC_DIR and `GET /metrics` adds
# them up, whichever worker answers. The directory is set here, in the master, before any worker
# imports prometheus_client (which reads it once), and emptied at each start so figures from an
# earlier run are not added in. Set PROMETHEUS_MULTIPROC_DIR to choose it (it must be private to
# this service); else a fresh directory in /dev/shm (memory) or the temp folder, removed on exit.
_created_metrics_dir: list[str] = []


def on_starting(server):
    import glob
    import tempfile

    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        for stale in glob.glob(os.path.join(path, "*.db")):
            os.remove(stale)
    else:
        path = tempfile.mkdtemp(prefix="moderation-metrics-",
                                dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        _created_metrics_dir.append(path)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path


def child_exit(server, worker):
    # A dead worker's counters keep counting in the sums; its "live" gauges (the model version
    # it served) are removed.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    import shutil

    for path in _created_metrics_dir:
        shutil.rmtree(path, ignore_errors=True)
