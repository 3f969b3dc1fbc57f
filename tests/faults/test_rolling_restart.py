"""docs/reliability.md #6, the rolling restart: three `ponder serve` processes behind nginx, each
stopped and started again in turn under load, as README.md ("Deploying new code") says to.

nginx runs `deploy/nginx.conf` itself, with only what must differ here changed (addresses, ports,
paths, no TLS): the test checks the configuration we ship. For each process in turn: mark it
`down` in the upstream and reload nginx (new connections go to the other two; nginx's old workers
finish what they carry), stop it (it answers what it was given and closes its streams after 5 s),
start it again on the same port, mark it up and reload. Meanwhile 50 clients read the page and the
API and vote through nginx, and 10 programs follow the live stream through nginx, reconnecting
with Last-Event-ID when it ends.

Bars: no request fails (no 5xx, none unanswered); every cut stream is back on its first reconnect
and has every change in order up to the question's last version.

Needs nginx (`.ci/run full` installs Debian's; it is skipped where there is none).
"""

import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.live.conftest import Redis

from .conftest import (
    ROOT,
    Board,
    Follower,
    Probe,
    Server,
    check_served_throughout,
    free_port,
    fresh_data_dir,
    mixed_load,
    start_server,
    wait_until,
)

PROCESSES = 3
FOLLOWERS = 10
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_conf(directory: Path, *, port: int, upstreams: list[int], down: set[int]) -> str:
    """deploy/nginx.conf, made to run here: as this user, on 127.0.0.1:`port` without TLS, its
    files under `directory`, balancing over `upstreams` (those in `down` marked down)."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()

    def swap(pattern: str, replacement: str, count: int = 1) -> None:
        nonlocal conf
        conf, made = re.subn(pattern, replacement, conf, flags=re.M)
        assert made == count, f"deploy/nginx.conf changed: {pattern!r} found {made} times"

    swap(r"^user .*\n", "")
    swap(r"^worker_processes auto;", "worker_processes 1;")
    swap(r"^pid .*;", f"pid {directory}/nginx.pid;")
    swap(r"access_log /var/log/nginx/access.log ", f"access_log {directory}/access.log ")
    swap(r"error_log /var/log/nginx/error.log;", f"error_log {directory}/error.log;")
    servers = "".join(
        f"        server 127.0.0.1:{p} max_fails=3 fail_timeout=10s{' down' * (p in down)};\n"
        for p in upstreams
    )
    swap(r"(?:^        #? ?server 10\.0\.0\.\d+:8000 .*\n)+", servers)
    # The plain-HTTP server that only redirects to HTTPS is of no use here.
    swap(r"^    server \{\n        listen 80;\n(?:.*\n)*?    \}\n", "")
    swap(r"^        listen 443 ssl http2;\n", f"        listen 127.0.0.1:{port};\n")
    swap(r"^        listen \[::\]:443 ssl http2;\n", "")
    swap(r"^        ssl_.*\n", "", count=4)
    swap(r"alias /var/lib/ponder/static/;", f"alias {directory}/static/;")
    temp = "".join(
        f"    {kind}_temp_path {directory}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    swap(r"^http \{\n", "http {\n" + temp)
    return conf


class Nginx:
    def __init__(self, directory: Path, upstreams: list[int]) -> None:
        self.directory = directory
        self.port = free_port()
        self.upstreams = upstreams
        self.conf = directory / "nginx.conf"
        self.write(down=set())
        self.nginx("-t", "-q")
        self.nginx()
        assert wait_until(lambda: (directory / "nginx.pid").exists(), timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write(self, *, down: set[int]) -> None:
        self.conf.write_text(
            nginx_conf(self.directory, port=self.port, upstreams=self.upstreams, down=down)
        )

    def reload(self, *, down: set[int]) -> None:
        self.write(down=down)
        self.nginx("-s", "reload")
        time.sleep(1)  # the new workers take over; the old ones finish what they carry

    def stop(self) -> None:
        self.nginx("-s", "stop", check=False)

    def nginx(self, *args: str, check: bool = True) -> None:
        # -e: its own error log from the start, before it has read the configuration.
        command = [NGINX, "-e", str(self.directory / "error.log"), "-c", str(self.conf), *args]
        subprocess.run(command, check=check, timeout=30)  # noqa: S603 - Debian's nginx


@pytest.mark.skipif(shutil.which("nginx") is None and not Path(NGINX).exists(), reason="no nginx")
def test_a_rolling_restart_behind_nginx_fails_no_request_and_streams_resume(
    tmp_path: Path, prepared_data_dir: Path, redis_server: Redis, started: list[Server]
) -> None:
    data_dir = fresh_data_dir(tmp_path, prepared_data_dir)
    env = {"REDIS_URL": redis_server.url}
    ports = [free_port() for _ in range(PROCESSES)]
    servers = [start_server(tmp_path, data_dir, port=port, **env) for port in ports]
    started.extend(servers)
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    (nginx_dir / "static").symlink_to(data_dir / "static")
    nginx = Nginx(nginx_dir, ports)
    try:
        board = Board.make(nginx.url, ideas=10, people=50)
        stream = f"{nginx.url}/api/v1/questions/{board.question}/events"
        followers = [Follower(stream) for _ in range(FOLLOWERS)]
        restarts: list[float] = []
        with Probe(50, mixed_load(board, nginx.url), limit=180) as probe:
            time.sleep(3)
            for index, port in enumerate(ports):
                began = time.monotonic()
                nginx.reload(down={port})
                old = servers[index]
                old.process.send_signal(signal.SIGTERM)
                old.process.wait(timeout=30)
                servers[index] = start_server(tmp_path, data_dir, port=port, **env)
                started.append(servers[index])
                nginx.reload(down=set())
                restarts.append(time.monotonic() - began)
                time.sleep(2)
            time.sleep(2)
        check_served_throughout(
            f"#6 rolling: restarts took {[round(s, 1) for s in restarts]} s",
            probe.replies,
            followers,
            data_dir=data_dir,
            question=board.question,
        )
    finally:
        nginx.stop()
