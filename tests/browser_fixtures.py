"""Helpers for the browser test: a local web server for the built book and a headless Chromium.

Nothing here reaches the internet: the book is served on 127.0.0.1 and Playwright drives a
Chromium that is already installed (``playwright install`` is not needed). The browser is
looked up in ``$CHROMIUM`` first, then ``/usr/bin/chromium`` (Debian's package, which
``make test`` installs when run as root), then ``chromium``, ``chromium-browser`` and
``google-chrome`` on ``PATH``.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CANDIDATES = ["/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome",
              "google-chrome-stable"]


def chromium_path() -> str | None:
    """The Chromium executable to drive, or ``None`` if none is installed."""
    for candidate in [os.environ.get("CHROMIUM"), *CANDIDATES]:
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
