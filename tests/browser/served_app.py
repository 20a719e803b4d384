"""The WSGI app a gunicorn started by ``live_server`` (``--server=gunicorn``) serves: the test's app, built
by ``create_app`` from the same settings, handed over as JSON in ``HOCTAP_TEST_CONFIG``."""

import json
import os

from app import create_app

app = create_app(json.loads(os.environ["HOCTAP_TEST_CONFIG"]))
