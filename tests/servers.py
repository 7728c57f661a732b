"""A real gunicorn server on 127.0.0.1 for the concurrency and browser suites."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SERVER_SECRET = "live-server-secret-" + "x" * 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(module: str, port: int, workers: int, *options: str) -> list[str]:
    """gunicorn as production runs it (``deploy/gunicorn.conf.py``) on a loopback port."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        *options,
        module,
    ]


@contextmanager
def gunicorn(
    database_url: str, workers: int = 4, threads: int = 2, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """Serves ``wsgi:app`` with production's gunicorn settings (``deploy/gunicorn.conf.py``) on a
    free loopback port; yields the base URL; stops it afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SURVEY_CONFIG": "development",
        "SECRET_KEY": SERVER_SECRET,
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        gunicorn_command("wsgi:app", port, workers, "--threads", str(threads), "--graceful-timeout", "2"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start within 30 s")


class HttpClient:
    """The slice of Flask's test-client interface that ``Walker`` uses, over real HTTP."""

    def __init__(self, base: str, session: requests.Session | None = None) -> None:
        self.base = base
        self.session = session or requests.Session()

    def get(self, path: str) -> HttpResponse:
        return HttpResponse(self.session.get(self.base + path, allow_redirects=False, timeout=30))

    def post(self, path: str, data: dict | None = None) -> HttpResponse:
        return HttpResponse(self.session.post(self.base + path, data=data, allow_redirects=False, timeout=30))


class HttpResponse:
    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.headers = response.headers
        self._text = response.text

    def get_data(self, as_text: bool = True) -> str:
        return self._text
