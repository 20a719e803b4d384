"""``flask worker``: the one background process of a deployment.

It runs the RQ worker (with RQ's scheduler) in its main thread and the periodic tick (timers, escalation,
digests, re-dispatch of stranded outbox rows) in a second thread. Any number may run at once: a Redis lock
lets one of them tick per period, and every job is claimed in the database before it runs. Without Redis
it runs the tick alone, and the tick runs the jobs it hands over in-process. Losing Redis never stops it:
it waits and reconnects, and the tick hands over what piled up once Redis is back.
"""

import logging
import threading
import time

from flask import Flask

from app.jobs import tick, use_app
from app.models import utcnow

log = logging.getLogger("hoctap.worker")
RECONNECT_SECONDS = 2


class Ticker(threading.Thread):
    """Runs ``tick`` every ``interval`` seconds until stopped; a failed tick is logged, never fatal."""

    def __init__(self, app: Flask, interval: float):
        super().__init__(name="hoctap-tick", daemon=True)
        self.app, self.interval = app, interval
        self.stopped = threading.Event()

    def _may_tick(self) -> bool:
        """One tick per period across workers; with Redis unreachable every worker ticks (the tick is
        idempotent, so that costs work, not correctness)."""
        queue = self.app.extensions.get("rq_queue")
        if queue is None:
            return True
        from redis.exceptions import RedisError

        try:
            key = f"{self.app.config['RQ_QUEUE']}:tick-lock"
            return bool(queue.connection.set(key, "1", nx=True, px=max(1, int(self.interval * 900))))
        except RedisError:
            return True

    def run(self) -> None:
        while not self.stopped.is_set():
            with self.app.app_context():
                try:
                    if self._may_tick():
                        log.info("tick %s", tick(now=utcnow()))
                except Exception:
                    from app.extensions import db

                    db.session.rollback()
                    log.exception("tick failed")
            self.stopped.wait(self.interval)


def run_worker(app: Flask, *, burst: bool = False) -> None:
    use_app(app)
    ticker = Ticker(app, app.config["WORKER_TICK_SECONDS"])
    queue = app.extensions.get("rq_queue")
    if burst:
        # One tick, then the queue's jobs until it is empty: for scripts and tests.
        with app.app_context():
            log.info("tick %s", tick(now=utcnow()))
        if queue is not None:
            _work(app, queue, burst=True)
        return
    ticker.start()
    try:
        if queue is None:
            log.info("no REDIS_URL: jobs run in this process at each tick")
            while ticker.is_alive():
                ticker.join(1)
            return
        _work_until_stopped(app, queue)
    finally:
        ticker.stopped.set()


def _worker(app: Flask, queue):
    from redis import Redis
    from rq.worker import SimpleWorker

    # Its own connection without a read timeout: RQ waits for the next job in a blocking read that
    # outlasts the web side's 5 s timeout, and would take that timeout for a dead Redis and quit.
    connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2)
    # SimpleWorker runs each job in this process: no fork beside the tick thread, one app and one
    # connection pool for every job; a job that hangs is stopped by its RQ timeout.
    return SimpleWorker([queue], connection=connection)


def _work(app: Flask, queue, *, burst: bool):
    worker = _worker(app, queue)
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    return worker


def _work_until_stopped(app: Flask, queue) -> None:
    """Run RQ until a stop is asked for (SIGTERM, SIGINT). RQ also returns on its own when Redis goes away
    or on an error of its own; the worker then starts it again rather than exit with the tick."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    while True:
        try:
            worker = _work(app, queue, burst=False)
            if worker._shutdown_requested_date is not None:
                return
            log.warning("RQ stopped without being asked to; starting it again in %s s", RECONNECT_SECONDS)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            log.warning("Redis unavailable (%s); retrying in %s s", exc, RECONNECT_SECONDS)
        time.sleep(RECONNECT_SECONDS)
