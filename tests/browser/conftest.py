"""Browser fixtures: the app served on loopback, Debian's Chromium driven by Playwright, tiny evidence files.

Every test gets its own migrated, seeded database (``app_config`` from tests/conftest.py), its own live
server and a fresh browser context; the Chromium process is shared by the session. Chromium is told to
resolve no host names at all, so nothing but the loopback server can be reached.
"""

import json
import socket
import struct
import threading
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No DNS: a page that tried to load anything from the internet fails instead of reaching out.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
DESKTOP = {"width": 1280, "height": 900}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so the page fixture can screenshot a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def live_server(request, app):
    """The app on a free loopback port; yields its base URL.

    By default werkzeug serves it in a daemon thread of the test process. With ``--server=gunicorn`` the
    production server does, as ``scripts/run`` starts it (gunicorn.conf.py, two workers) in its own
    processes, on the same database and DATA_DIR, built by ``create_app`` from the same settings (handed
    over in the environment). A test that changes the app in the test process (a patched module, a
    clock) is marked ``in_process`` and keeps werkzeug.
    """
    assert app.config.get("WTF_CSRF_ENABLED", True), "browser tests run with real CSRF protection"
    in_process = request.node.get_closest_marker("in_process")
    if request.config.getoption("--server") == "gunicorn" and not in_process:
        yield from _gunicorn(app, request.getfixturevalue("tmp_path"))
        return
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args):  # errors are still logged, one line per request is noise
            pass

    server = make_server("127.0.0.1", free_port(), app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def _gunicorn(app, tmp_path: Path):
    from tests.gunicorn_server import environment, serve, stop

    try:
        settings = json.dumps(app.test_overrides)
    except TypeError as exc:
        pytest.fail(f"this app's settings cannot reach another process ({exc}): mark the test in_process")
    port = free_port()
    env = environment(
        HOCTAP_TEST_CONFIG=settings,
        DATA_DIR=app.config["DATA_DIR"],  # gunicorn.conf.py writes the access log there
        WEB_WORKERS="2",
    )
    log = tmp_path / "gunicorn.log"
    process = serve(env, port=port, log=log, app="tests.browser.served_app:app")
    yield f"http://127.0.0.1:{port}"
    # The test is over, nothing is in progress: no graceful stop. Its output stays in tmp_path/gunicorn.log.
    stop(process, graceful=False)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed at /usr/bin/chromium (scripts/test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def policy_violation(message) -> bool:
    """A console message in which Chromium reports that the Content-Security-Policy blocked something the
    page or a library did (an inline style or script, eval, a resource from elsewhere)."""
    return message.type == "error" and "Content Security Policy" in message.text


@pytest.fixture
def new_context(browser, live_server):
    """Factory for extra contexts (e.g. a phone-sized one) on the live server; all closed after the test,
    which then fails if any page in them broke the site's Content-Security-Policy (app/security.py)."""
    contexts = []
    violations = []

    def make(viewport: dict | None = None, **options):
        context = browser.new_context(
            base_url=live_server,
            viewport=viewport or DESKTOP,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            accept_downloads=True,
            **options,
        )
        context.set_default_timeout(10_000)
        context.on(
            "console",
            lambda message: (
                violations.append(f"{message.page and message.page.url}: {message.text}")
                if policy_violation(message)
                else None
            ),
        )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not violations, "\n".join(violations)


@pytest.fixture
def page(request, new_context):
    """A desktop-sized page in a fresh context; a failing test leaves a screenshot in test-artifacts/."""
    page = new_context().new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and not page.is_closed():
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"FAILED-{request.node.name}.png", full_page=True)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _pdf() -> bytes:
    """A one-page PDF with a line of text, with a correct cross-reference table."""
    stream = b"BT /F1 18 Tf 40 100 Td (Hoc ba nam hoc 2025-2026) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png(width: int = 8, height: int = 8) -> bytes:
    """An RGB PNG filled with one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x1f\x6f\xb4" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    return _pdf()


@pytest.fixture(scope="session")
def png_bytes() -> bytes:
    return _png()
