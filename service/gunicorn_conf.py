"""Gunicorn settings for the moderation service (`gunicorn --config service/gunicorn_conf.py`).

Each value can be overridden on the command line (e.g. `--bind`) or with the environment
variables named below. Why these values:
- 2 workers by default, one process per core on the small hosts this targets: intake is CPU
  work (parsing, scoring, one SQLite write), so more workers than cores only queue on the CPU.
  Raise GUNICORN_WORKERS to about the core count.
- gthread workers with 8 threads each (GUNICORN_THREADS), for two reasons. Group commit:
  comments arriving together reach the worker's batcher together and are scored in one call
  and committed in one transaction (service/intake/batching.py, bench/README.md). Slow clients: a
  client sending its request slowly (a phone on a bad line, or a slowloris attack) occupies one
  thread, not a whole worker: with sync workers two such clients take the service down, as
  gunicorn's own documentation warns. A connection that has sent nothing waits in the worker's
  poller, not in a thread (gunicorn >= 23), and is closed after `keepalive` seconds.
- A receive timeout on every client socket (GUNICORN_CLIENT_TIMEOUT, 10 s): gunicorn reads a
  request head or body with blocking reads and no deadline, so a client that stops sending
  mid-request would hold its thread for ever. With SO_RCVTIMEO set on the listening socket
  (inherited by each accepted one) such a read fails after 10 s of silence and the thread is
  freed (0 turns the timeout off). Limits of this defence: a client dribbling a byte every few
  seconds still holds a thread, and gunicorn closes each cut connection gracefully, lingering
  up to 2 s in the worker's main loop, so hundreds of stalled connections still slow a worker
  down. On the Internet, run gunicorn behind a buffering reverse proxy (nginx:
  client_header_timeout, client_body_timeout), which hands gunicorn only complete requests.
- Request limits: a request line of at most 4094 bytes (our URLs are short), at most 50 header
  fields (browsers send about 20) of at most 8190 bytes each; larger requests get 4xx from
  gunicorn before the app sees them. Bodies over 64 KiB get 413 from the app
  (service/__init__.py, MAX_BODY_BYTES).
- timeout 30 s: a worker whose main loop stops answering the arbiter (wedged in C code) is
  killed and replaced. It is not a per-request limit for gthread workers; requests are bounded
  by what they wait for: the database (MODERATION_DB_WAIT_SECONDS, 10 s, then 503) and the
  client (the receive timeout above). graceful_timeout gives in-flight requests the same time on
  restart/deploy.
- No preload: each worker loads the model and opens its own database connections after the fork,
  so no connection or file handle is shared between processes.
- max_requests with jitter recycles workers slowly, bounding any slow leak without restarting
  all of them at once.
- Pinning (GUNICORN_PIN_WORKERS, off by default): each worker bound to a core of its own keeps
  its code and data warm in that core's caches instead of being moved between cores; intake
  answers more comments per second with it (bench/README.md, "Pinning"). Off by default because
  on a host shared with other busy programs a pinned worker cannot move off a core they occupy.
  Turn it on where the service has the machine's cores to itself, about one worker per core.
"""

import os
import socket
import struct

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
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
preload_app = False
# Off by default: the service writes its own JSON line per request (service/ops/logs.py), without
# the client's IP address, which gunicorn's access log format starts with. GUNICORN_ACCESSLOG=-
# turns it back on (stdout) where keeping raw IPs in logs is acceptable.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "") or None
# No client address, query string, Referer or user agent (the default format logs all four): the
# logs must carry no raw IP and no e-mail address (a moderator's search may hold one).
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
# The error log names the client of a malformed request; this logger masks addresses.
logger_class = "service.privacy.log_redaction.RedactingLogger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# The Docker image keeps its worker heartbeat files in memory instead of on the container's disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# -- Prometheus metrics across workers (service/ops/metrics.py) ---------------------------------
# Every worker writes its counters to files in PROMETHEUS_MULTIPROC_DIR and `GET /metrics` adds
# them up, whichever worker answers. The directory is set here, in the master, before any worker
# imports prometheus_client (which reads it once), and emptied at each start so figures from an
# earlier run are not added in. Set PROMETHEUS_MULTIPROC_DIR to choose it (it must be private to
# this service); else a fresh directory in /dev/shm (memory) or the temp folder, removed on exit.
# A master killed with SIGKILL never gets to remove its own, so each start also removes those no
# live server holds any more (`remove_stale_metrics_dirs`).
METRICS_PREFIX = "moderation-metrics-"
_METRICS_LOCK = ".master.lock"
_created_metrics_dir: list[str] = []
_held_locks: list[int] = []  # open for the master's lifetime (and its workers', who inherit it)


def own_metrics_dir(parent: str) -> tuple[str, int]:
    """A new metrics directory in `parent` and an open descriptor holding its lock (flock; the
    kernel drops it when the last process holding it is gone, however it died). Made under
    another name and renamed once locked, so no other server ever sees it unlocked."""
    import fcntl
    import tempfile

    building = tempfile.mkdtemp(prefix=".building-" + METRICS_PREFIX, dir=parent)
    fd = os.open(os.path.join(building, _METRICS_LOCK), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    path = os.path.join(parent, METRICS_PREFIX + os.path.basename(building).rsplit("-", 1)[-1])
    os.rename(building, path)
    return path, fd


def remove_stale_metrics_dirs(parent: str, legacy_age_seconds: float = 60) -> list[str]:
    """Remove the metrics directories in `parent` that no live server uses; returns them. One
    whose lock can be taken is stale. One without a lock file (made before there was one) is
    stale once it is empty and older than `legacy_age_seconds`: an older server running now has
    written its counter files by then."""
    import glob
    import shutil

    removed = []
    for path in sorted(glob.glob(os.path.join(parent, METRICS_PREFIX + "*"))):
        if _unused_metrics_dir(path, legacy_age_seconds):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _unused_metrics_dir(path: str, legacy_age_seconds: float) -> bool:
    import fcntl
    import time

    try:
        fd = os.open(os.path.join(path, _METRICS_LOCK), os.O_RDWR)
    except FileNotFoundError:
        try:
            return not os.listdir(path) \
                and time.time() - os.stat(path).st_mtime > legacy_age_seconds
        except OSError:  # gone meanwhile, or not ours to read
            return False
    except OSError:  # another user's: not ours to judge
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def on_starting(server):
    import glob
    import tempfile

    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        for stale in glob.glob(os.path.join(path, "*.db")):
            os.remove(stale)
    else:
        parent = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
        remove_stale_metrics_dirs(parent)
        path, lock = own_metrics_dir(parent)
        _held_locks.append(lock)
        _created_metrics_dir.append(path)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path


def post_worker_init(worker):
    # The app, and with it the classifier, is loaded by now: move everything alive (about
    # 170,000 objects of the libraries and the model) to the collector's permanent generation.
    # Otherwise each full collection walks them all, 40-90 ms in which the worker answers
    # nobody, which showed in intake's p99 (bench/README.md). Garbage is still freed.
    import gc

    gc.freeze()


# Linux only (os.sched_setaffinity); elsewhere the setting is refused at start.
_pin_workers = os.environ.get("GUNICORN_PIN_WORKERS", "").lower() in {"1", "true", "yes", "on"}
if _pin_workers and not hasattr(os, "sched_setaffinity"):
    raise RuntimeError("GUNICORN_PIN_WORKERS needs os.sched_setaffinity (Linux)")


def least_used_cpu(allowed: list[int], taken: list[int | None]) -> int:
    """The core for a new worker: of the cores this server may use (`allowed`), the one fewest
    live workers are pinned to (`taken`), the lowest-numbered on a tie. A replacement for a dead
    worker so gets the core it left."""
    return min(allowed, key=lambda cpu: (taken.count(cpu), cpu))


def pre_fork(server, worker):
    # In the master, which knows every live worker's core; the child pins itself (post_fork).
    worker.cpu = least_used_cpu(sorted(os.sched_getaffinity(0)),
                                [getattr(w, "cpu", None) for w in server.WORKERS.values()]) \
        if _pin_workers else None


def post_fork(server, worker):
    if worker.cpu is not None:
        os.sched_setaffinity(0, {worker.cpu})


def child_exit(server, worker):
    # A dead worker's counters keep counting in the sums; its "live" gauges (the model version
    # it served) are removed.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    import shutil

    for path in _created_metrics_dir:
        shutil.rmtree(path, ignore_errors=True)


_client_timeout = float(os.environ.get("GUNICORN_CLIENT_TIMEOUT", "10"))


def when_ready(server):
    """Give every client socket a receive timeout (see the module docstring): set on the
    listening sockets, it is inherited by each connection accepted from them."""
    seconds, fraction = divmod(_client_timeout, 1)
    timeval = struct.pack("ll", int(seconds), int(fraction * 1_000_000))
    for listener in server.LISTENERS:
        listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    # What a newcomer who just ran `make serve` opens next.
    for listener in server.LISTENERS:
        address = listener.sock.getsockname()
        if isinstance(address, tuple):
            host = f"[{address[0]}]" if ":" in address[0] else address[0]
            base = f"http://{host}:{address[1]}"
            print(f"Ready: the demo article at {base}/ and the review page at {base}/review/",
                  flush=True)
