"""gunicorn settings for a profiled benchmark server: everything gunicorn.conf.py sets, plus a cProfile of the
requests that arrive while the file ``BENCH_PROFILE_DIR/on`` exists, so that a benchmark profiles its main
run and not its logins or setup. Each worker writes one ``.prof`` per request thread to ``BENCH_PROFILE_DIR``
when it exits; ``bench/server.py``'s ``Server(..., profile_dir=...)`` starts gunicorn with this file and
``merged_profile`` adds the files up.

A request is profiled from gunicorn's ``pre_request`` hook to its ``post_request`` hook: the Flask app, the
response's writing and the request log, not the accept and the parsing of the request line and headers that
come before. cProfile follows one thread, so each of the worker's request threads gets its own profiler.
"""

import cProfile
import os
import runpy
import threading
from pathlib import Path

_conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
globals().update({name: value for name, value in _conf.items() if not name.startswith("_")})

_dir = Path(os.environ["BENCH_PROFILE_DIR"])
_profiles: dict[int, cProfile.Profile] = {}
_active = threading.local()


def pre_request(worker, req):
    _active.profile = None
    if (_dir / "on").exists():
        _active.profile = _profiles.setdefault(threading.get_ident(), cProfile.Profile())
        _active.profile.enable()


def post_request(worker, req, environ, resp):
    if getattr(_active, "profile", None) is not None:
        _active.profile.disable()
        _active.profile = None


def worker_exit(server, worker):
    for n, profile in enumerate(_profiles.values()):
        profile.dump_stats(str(_dir / f"worker-{worker.pid}-{n}.prof"))
