"""The README's production recipe as real processes: nginx in front, gunicorn for HTTP, Daphne for websockets.

Used by the e2e test of the recipe (tests/e2e/test_production_recipe.py) and by the
HTTP benchmark (tests/benchmarks/run_http.py), so both start exactly what the README
tells an operator to start: ``gunicorn -c deploy/gunicorn.conf.py``,
``daphne --proxy-headers ... helpdesk.asgi:application`` and nginx with
``deploy/nginx/helpdesk.conf`` (only its ports, names and certificate paths changed).
Every server listens on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
NGINX_SITE = ROOT / "deploy" / "nginx" / "helpdesk.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
START_TIMEOUT = 60
NGINX_INSTALL_HINT = "install Debian's nginx: apt-get install -y nginx"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(base: dict[str, str] | None = None, **overrides: str) -> dict[str, str]:
    """The environment of a production desk (DEBUG=0) behind the recipe's nginx, on this machine."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DEBUG": "0",
            "SECRET_KEY": env.get("SECRET_KEY") or "recipe-test-secret-key-never-used-anywhere-else-0123456789",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_PROXY_SSL_HEADER": "1",
            "HELPDESK_PROXY_HOPS": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def collect_static(env: dict[str, str], static_root: Path) -> None:
    """``manage.py collectstatic`` (DEBUG=0 serves hashed names from the manifest)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**env, "STATIC_ROOT": str(static_root)},
        check=True,
    )


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (openssl), valid two days."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def render_nginx_site(
    *, listen: int, redirect: int, http_ports: list[int], ws_ports: list[int], cert: Path, key: Path
) -> str:
    """deploy/nginx/helpdesk.conf with this machine's ports, names and certificate."""
    text = NGINX_SITE.read_text()
    replacements = {
        "    server 127.0.0.1:8001;\n": "".join(f"    server 127.0.0.1:{p};\n" for p in http_ports),
        "    server 127.0.0.1:8002;\n": "".join(f"    server 127.0.0.1:{p};\n" for p in ws_ports),
        "listen 443 ssl http2;": f"listen 127.0.0.1:{listen} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{redirect};",
        "server_name desk.example.com;": "server_name 127.0.0.1 localhost;",
        "/etc/ssl/helpdesk/fullchain.pem": str(cert),
        "/etc/ssl/helpdesk/privkey.pem": str(key),
    }
    for old, new in replacements.items():
        if old not in text:
            raise RuntimeError(f"deploy/nginx/helpdesk.conf no longer contains {old.strip()!r}; update tests/recipe.py")
        text = text.replace(old, new)
    return text


def _nginx_main_conf(prefix: Path, site: Path) -> str:
    user = "user root root;\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {name}_temp_path {prefix / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        "    access_log off;\n"
        "    sendfile on;\n"
        f"{temp}\n"
        f"    include {site};\n"
        "}\n"
    )


@dataclass
class Process:
    name: str
    command: list[str]
    log: Path
    popen: subprocess.Popen | None = None

    def start(self, env: dict[str, str]) -> Process:
        with open(self.log, "wb") as log:
            self.popen = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def wait_until_answering(self, url: str) -> None:
        """Until ``url`` gives any HTTP answer (a redirect to HTTPS included, it is not followed)."""
        target = urlsplit(url)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")
            if target.scheme == "https":
                connection = http.client.HTTPSConnection(
                    target.hostname, target.port, timeout=2, context=ssl._create_unverified_context()
                )
            else:
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=2)
            try:
                connection.request("GET", target.path or "/")
                connection.getresponse().read()
                return
            except (ConnectionError, TimeoutError, OSError, http.client.HTTPException):
                time.sleep(0.2)
            finally:
                connection.close()
        raise RuntimeError(f"{self.name} did not answer {url} within {START_TIMEOUT}s:\n{self.tail()}")

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)


def gunicorn(*, port: int, workers: int | None, log: Path) -> tuple[Process, dict[str, str]]:
    """``gunicorn -c deploy/gunicorn.conf.py`` on ``port``; returns the process and its extra environment."""
    extra = {"GUNICORN_BIND": f"127.0.0.1:{port}"}
    if workers:
        extra["GUNICORN_WORKERS"] = str(workers)
    return Process("gunicorn", [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)], log), extra


def daphne(*, port: int, log: Path, proxy_headers: bool = True) -> Process:
    command = [sys.executable, "-m", "daphne"]
    if proxy_headers:
        command.append("--proxy-headers")
    command += ["-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"]
    return Process(f"daphne:{port}", command, log)


def nginx(*, prefix: Path, site_text: str) -> Process:
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError(f"nginx is missing ({NGINX_INSTALL_HINT})")
    prefix.mkdir(parents=True, exist_ok=True)
    site = prefix / "helpdesk.conf"
    site.write_text(site_text)
    main = prefix / "nginx.conf"
    main.write_text(_nginx_main_conf(prefix, site))
    check = subprocess.run([binary, "-t", "-p", str(prefix), "-c", str(main), "-e", str(prefix / "error.log")],
                           capture_output=True, text=True)  # fmt: skip
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t refused the configuration:\n{check.stderr}\n{site_text}")
    return Process("nginx", [binary, "-p", str(prefix), "-c", str(main), "-e", str(prefix / "error.log")],
                   prefix / "nginx.out")  # fmt: skip


@dataclass
class Recipe:
    """nginx (TLS) → gunicorn for HTTP and Daphne for /ws/, as started by ``start_recipe``."""

    base_url: str
    processes: list[Process] = field(default_factory=list)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def start_recipe(
    *, env: dict[str, str], workdir: Path, gunicorn_workers: int | None = None, daphne_processes: int = 1
) -> Recipe:
    """Start the README's production recipe on free ports; the caller must ``stop()`` it."""
    workdir.mkdir(parents=True, exist_ok=True)
    cert, key = make_certificate(workdir)
    http_port, listen, redirect = free_port(), free_port(), free_port()
    ws_ports = [free_port() for _ in range(daphne_processes)]
    recipe = Recipe(base_url=f"https://127.0.0.1:{listen}")
    try:
        process, extra = gunicorn(port=http_port, workers=gunicorn_workers, log=workdir / "gunicorn.log")
        recipe.processes.append(process.start({**env, **extra}))
        for port in ws_ports:
            recipe.processes.append(daphne(port=port, log=workdir / f"daphne-{port}.log").start(env))
        site = render_nginx_site(
            listen=listen, redirect=redirect, http_ports=[http_port], ws_ports=ws_ports, cert=cert, key=key
        )
        front = nginx(prefix=workdir / "nginx", site_text=site)
        recipe.processes.append(front.start(env))
        recipe.processes[0].wait_until_answering(f"http://127.0.0.1:{http_port}/accounts/login/")
        for process, port in zip(recipe.processes[1:-1], ws_ports):
            process.wait_until_answering(f"http://127.0.0.1:{port}/accounts/login/")
        front.wait_until_answering(recipe.base_url + "/accounts/login/")
    except BaseException:
        recipe.stop()
        raise
    return recipe
