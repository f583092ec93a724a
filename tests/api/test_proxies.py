"""Client addresses behind reverse proxies: a real nginx (Debian's) in front of a real server, on loopback.

Loopback is all of 127.0.0.0/8 on Linux, so clients connect from distinct addresses (127.0.0.3, .4), nginx
reaches the app from 127.0.0.2 (`proxy_bind`), the only trusted proxy, and a direct client on 127.0.0.1 is an
untrusted peer.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.proxies import ClientAddress
from tests.api.conftest import serve, with_api
from tests.conftest import free_port

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
DOC = "/v1/documents/sol-ken-water-kiosks"
PROXY_ADDRESS = "127.0.0.2"


def scope(peer: str, *headers: tuple[str, str]) -> dict:
    return {"type": "http", "client": (peer, 5000), "headers": [(k.encode(), v.encode()) for k, v in headers]}


# -- the rule, without servers --------------------------------------------------------------------------------
def test_rightmost_untrusted_hop_is_the_client():
    resolve = ClientAddress(["10.0.0.0/8", "127.0.0.1"])
    spoofed = ("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.1.2.3")
    assert resolve(scope("127.0.0.1", spoofed)) == "203.0.113.9"  # through two trusted proxies
    assert resolve(scope("198.51.100.7", spoofed)) == "198.51.100.7"  # an untrusted peer's header is ignored
    assert resolve(scope("127.0.0.1", ("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "203.0.113.9"))) == (
        "203.0.113.9"
    )
    assert resolve(scope("127.0.0.1", ("x-real-ip", "203.0.113.5"))) == "203.0.113.5"
    assert resolve(scope("127.0.0.1", ("x-real-ip", "not an address"))) == "127.0.0.1"
    assert resolve(scope("127.0.0.1", ("x-forwarded-for", "garbage, 10.0.0.9"))) == "10.0.0.9"
    assert resolve(scope("::ffff:10.0.0.1", ("x-forwarded-for", "2001:db8::1"))) == "2001:db8::1"
    assert ClientAddress([])(scope("127.0.0.1", spoofed)) == "127.0.0.1"  # no trusted proxy: only the peer


# -- behind a real nginx --------------------------------------------------------------------------------------
NGINX_CONF = """
{user}
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    # The usual setup: append the peer to the client's X-Forwarded-For.
    server {{
        listen 127.0.0.1:{xff_port};
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_bind {proxy};
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
    # A proxy that sends only X-Real-IP (and drops any X-Forwarded-For the client wrote).
    server {{
        listen 127.0.0.1:{real_port};
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_bind {proxy};
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For "";
        }}
    }}
}}
"""


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text() if log.exists() else ''}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("nginx did not start")


@contextmanager
def nginx_in_front(app_port: int, tmp: Path):
    """nginx on two loopback ports: (X-Forwarded-For proxy URL, X-Real-IP proxy URL)."""
    xff_port, real_port = free_port(), free_port()
    conf = tmp / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(
        NGINX_CONF.format(
            user=user, tmp=tmp, xff_port=xff_port, real_port=real_port, app_port=app_port, proxy=PROXY_ADDRESS
        )
    )
    assert NGINX is not None
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(xff_port, process, tmp / "error.log")
        _wait_for_port(real_port, process, tmp / "error.log")
        yield f"http://127.0.0.1:{xff_port}", f"http://127.0.0.1:{real_port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def client_from(address: str, base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=address), timeout=30)


@pytest.fixture
def proxied(sandbox_services, tmp_path):
    """(app URL, X-Forwarded-For proxy URL, X-Real-IP proxy URL), 3 requests a minute per client."""
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    services = with_api(sandbox_services, rate_limit_per_minute=3, trusted_proxies=[PROXY_ADDRESS])
    with serve(services) as server, nginx_in_front(server.port, tmp_path) as (xff, real):
        yield server.url, xff, real


def statuses(http: httpx.Client, n: int, headers=lambda i: {}) -> list[int]:
    return [http.get(DOC, headers=headers(i)).status_code for i in range(n)]


def test_rotating_x_forwarded_for_through_the_proxy_does_not_escape_the_limit(proxied):
    _, xff, _ = proxied
    with client_from("127.0.0.3", xff) as http:
        assert statuses(http, 6, lambda i: {"X-Forwarded-For": f"198.51.100.{i}"}) == [200, 200, 200, 429, 429, 429]


def test_two_clients_behind_the_proxy_have_their_own_limits(proxied):
    _, xff, _ = proxied
    with client_from("127.0.0.3", xff) as noisy, client_from("127.0.0.4", xff) as other:
        assert statuses(noisy, 4) == [200, 200, 200, 429]
        assert statuses(other, 3) == [200, 200, 200]


def test_a_proxy_that_sends_only_x_real_ip(proxied):
    _, _, real = proxied
    with client_from("127.0.0.3", real) as noisy, client_from("127.0.0.4", real) as other:
        assert statuses(noisy, 5, lambda i: {"X-Real-IP": f"198.51.100.{i}"}) == [200, 200, 200, 429, 429]
        assert statuses(other, 3) == [200, 200, 200]


def test_an_untrusted_peer_cannot_spoof_its_address(proxied):
    app, xff, _ = proxied
    # Straight to the app from 127.0.0.1, which is not a trusted proxy here: its headers prove nothing.
    with client_from("127.0.0.1", app) as direct:
        spoofed = statuses(direct, 4, lambda i: {"X-Forwarded-For": f"198.51.100.{i}", "X-Real-IP": f"198.51.100.{i}"})
    assert spoofed == [200, 200, 200, 429]
    # ...and claiming to be a proxied client's address does not spend that client's quota.
    with client_from("127.0.0.1", app) as direct:
        assert direct.get(DOC, headers={"X-Forwarded-For": "127.0.0.5"}).status_code == 429
    with client_from("127.0.0.5", xff) as victim:
        assert statuses(victim, 3) == [200, 200, 200]
