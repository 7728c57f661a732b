"""The production stack for the HTTPS, limits and outage suites: PostgreSQL, Redis, several
gunicorn workers with SURVEY_CONFIG=production, and Debian's nginx running the site file
shipped in deploy/ with a self-signed certificate made here."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from string import Template

from tests.servers import ROOT, free_port, gunicorn
from tests.support import require

SITE = ROOT / "deploy" / "safer-schools.nginx.conf"
PRODUCTION_SECRET = "production-like-test-secret-" + "y" * 20


def _wait_for_port(port: int, what: str, process: subprocess.Popen, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"{what} exited: {output[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start on port {port}")


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway Debian redis-server on loopback; yields its URL."""
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server (Debian package redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, "redis-server", process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def nginx(upstream: str, folder: Path) -> Iterator[tuple[str, Path]]:
    """nginx with deploy/'s site file in front of ``upstream`` (host:port); yields its HTTPS
    base and the certificate to trust."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    require(os.path.exists(binary), "nginx (Debian package nginx)")
    cert, key = self_signed_certificate(folder)
    https_port, http_port = free_port(), free_port()
    site = Template(SITE.read_text()).safe_substitute(
        APP_UPSTREAM=upstream,
        HTTPS_PORT=https_port,
        HTTP_PORT=http_port,
        SERVER_NAME="localhost",
        TLS_CERT=cert,
        TLS_KEY=key,
        STATIC_ROOT=ROOT / "survey_app" / "static",
        ACCESS_LOG=folder / "access.log",
    )
    (folder / "site.conf").write_text(site)
    (folder / "nginx.conf").write_text(f"""
worker_processes 1;
error_log {folder}/error.log warn;
pid {folder}/nginx.pid;
user root;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
""")
    process = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_port(https_port, "nginx", process)
        yield f"https://localhost:{https_port}", cert
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def jobs_worker(database_url: str, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """An RQ worker as production runs one (``flask jobs worker``, deploy/'s unit)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()  # RQ's warm shut down: a job in hand is finished first
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class Stack:
    https: str  # nginx
    certificate: Path  # what a client must trust for ``https``
    app: str  # gunicorn directly, for checks that bypass the proxy
    redis: str
    access_log: Path  # nginx's
    worker: subprocess.Popen  # `flask jobs worker`


@contextmanager
def production_stack(
    database_url: str, folder: Path, workers: int = 3, extra_env: dict[str, str] | None = None
) -> Iterator[Stack]:
    with redis_server() as redis_url:
        env = {
            "SURVEY_CONFIG": "production",
            "SECRET_KEY": PRODUCTION_SECRET,
            "RATELIMIT_STORAGE_URI": redis_url,
            "JOB_QUEUE_URL": redis_url,
            "PROXY_HOPS": "1",
            **(extra_env or {}),
        }
        with (
            jobs_worker(database_url, env) as worker,
            gunicorn(database_url, workers=workers, threads=1, extra_env=env) as app_base,
            nginx(app_base.removeprefix("http://"), folder) as (https_base, cert),
        ):
            yield Stack(https_base, cert, app_base, redis_url, folder / "access.log", worker)


class TcpRelay:
    """A loopback TCP relay in front of a server, which a test can cut and restore: what
    the app sees when its database restarts or goes away."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and drop open ones."""
        if self._listener:
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            self._listener.close()
            self._listener = None
        with self._lock:
            for connection in self._connections:
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
