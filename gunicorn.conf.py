"""gunicorn settings for the production server: ``gunicorn -c gunicorn.conf.py wsgi:app``.

``scripts/run`` (``make run``) starts it this way, docs/deploy.md's systemd unit does the same, and the
tests that serve the app out of process (tests/browser ``--server=gunicorn``,
tests/integration/test_production_server.py) use this file too. Every setting comes from the environment:

- ``WEB_BIND``: address to listen on (default ``127.0.0.1:5000``; behind nginx keep it on loopback).
- ``WEB_WORKERS``: worker processes (default ``2 × cores + 1``, at most 9: a step spends most of its time
  in Python under the GIL, so one process per core plus one waiting on the database each is enough, and
  on SQLite more processes only queue at the single writer lock).
- ``WEB_THREADS``: threads per worker (default 2, so a slow upload or PDF download does not hold a whole
  process; the app keeps no per-thread state outside Flask's request context).
- ``WEB_TIMEOUT``: seconds a request may run before its worker is killed and replaced (default 60; a
  registry import or a batch of certificates runs as a job, not in the request).
- ``WEB_GRACEFUL_TIMEOUT``: seconds a stopping or reloading worker gets to finish its requests (default 30).
- ``DATA_DIR``: the access log is written to ``DATA_DIR/access.log`` (errors go to stderr).

The app is loaded once in the master (``preload_app``), so a bad configuration (``DEMO=0`` without
``SECRET_KEY``, an unreachable setting) stops the start at once instead of every worker failing in a loop,
and the workers share the imported code's memory. Nothing the app creates at start-up may then cross the
fork: the master opens no database connection, and ``post_fork`` throws away the engine's pool anyway
(without closing the parent's sockets), so each worker opens its own connections. Redis clients (RQ queue,
rate limiter) notice the new process id and reconnect on their own. The price: ``HUP`` replaces the
workers but not the code the master loaded, so new code needs a restart (docs/deploy.md, "Upgrades").
"""

import os
from pathlib import Path


def _workers() -> int:
    if os.environ.get("WEB_WORKERS"):
        return max(1, int(os.environ["WEB_WORKERS"]))
    return min(2 * (os.cpu_count() or 1) + 1, 9)


bind = os.environ.get("WEB_BIND", "127.0.0.1:5000")
workers = _workers()
worker_class = "gthread"
threads = max(1, int(os.environ.get("WEB_THREADS", "2")))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
preload_app = True
# No max_requests: a worker recycled mid-way would drop the in-process background jobs (long imports) it
# runs on its threads when there is no Redis; their lease would bring them back, but minutes later.

_data_dir = Path(os.environ.get("DATA_DIR", Path(__file__).resolve().parent / "data")).resolve()
_data_dir.mkdir(parents=True, exist_ok=True)
accesslog = str(_data_dir / "access.log")
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
# The peer, the time taken, the worker process (pid) that answered and the request's X-Request-Id (nginx's
# $request_id, docs/deploy.md; "-" without one), which joins a line to nginx's log or a client's trace;
# the client address behind nginx is in nginx's own log (the app reads it from X-Forwarded-For, PROXY_HOPS).
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s rid=%({x-request-id}i)s "%(a)s"'
proc_name = "hoctap-web"
# gunicorn's control socket lives in the home directory by default, shared by every gunicorn of the user
# (two sites, the tests' servers); reloads and worker counts go through signals instead (docs/deploy.md).
control_socket_disable = True


def post_fork(server, worker):
    """A worker starts with no database connection of the master's: drop the (normally empty) pool
    without closing sockets the master might still own."""
    from app.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
