"""What metrics and request logs add to each request, measured on their own.

    .venv/bin/python -m bench.ops_overhead                      # in-process metrics
    PROMETHEUS_MULTIPROC_DIR=$(mktemp -d -p /dev/shm) .venv/bin/python -m bench.ops_overhead

Times, inside one request context, the before/after-request hooks of `service.ops.metrics` and
`service.ops.logs` plus the calls intake makes for a stored comment (`metrics.comment_received`,
`logs.comment_outcome`, one scoring timer), with request logs on and off. The lines are written
to /dev/null, so the figure is the CPU cost, not the terminal's. Best of 5 runs of 20,000.
"""

from __future__ import annotations

import os
import sys
import tempfile
import timeit

from flask import Response

from service import create_app
from service.ops import logs
from service.ops import metrics
from service.storage.db import make_engine, upgrade

N, REPEAT = 20_000, 5


def per_call_us(function) -> float:
    return min(timeit.repeat(function, number=N, repeat=REPEAT)) / N * 1e6


def main() -> None:
    from model import Scorer

    scorer = Scorer.load()
    directory = tempfile.mkdtemp()
    url = f"sqlite:///{directory}/bench.sqlite3"
    upgrade(make_engine(url))
    real_stderr, sys.stderr = sys.stderr, open(os.devnull, "w")
    mode = "multiprocess" if "PROMETHEUS_MULTIPROC_DIR" in os.environ else "in-process"
    for request_log in ("false", "true"):
        app = create_app({"SCORER": scorer, "MODERATION_DATABASE_URL": url,
                          "MODERATION_REQUEST_LOG": request_log}, instance_path=directory)
        with app.test_request_context("/comments", method="POST"):
            response = Response("", status=303)

            def one_request():
                logs._begin()
                metrics._start_timer()
                with metrics.scoring_time():
                    pass
                metrics.comment_received("published", "form")
                logs.comment_outcome(1, "published", "v")
                metrics._count_request(response)
                logs._finish(response)

            print(f"metrics {mode}, request log {request_log}: "
                  f"{per_call_us(one_request):.1f} us per comment received", file=real_stderr)


if __name__ == "__main__":
    main()
