"""`headroom proxy` as a real process under uvicorn: it starts, compresses, refuses an unsafe
or broken configuration, finishes in-flight streams when stopped, and a fresh process on the
same SQLite store sends every earlier message in the same bytes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from tests.proxy.test_prefix import OUTPUTS, _assert_prefix_stable, _opening, _send, _turn
from tests.stub_upstream import StubUpstream, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(*flags: str) -> list[str]:
    return [sys.executable, "-m", "headroom.cli", "proxy", *flags]


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADROOM_PROXY_")}
    env["PYTHONPATH"] = str(ROOT)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env


@contextlib.contextmanager
def proxy_process(
    upstream: str, tmp_path: Path, *flags: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    command = _command(
        "--port", str(port), "--anthropic-api-url", upstream, "--openai-api-url", f"{upstream}/v1", *flags
    )
    log = open(tmp_path / f"proxy-{port}.log", "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(command, env=_environment(tmp_path), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(port, process, tmp_path / f"proxy-{port}.log")
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the proxy exited: {log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"the proxy never listened: {log.read_text()}")


def test_a_fresh_process_on_the_same_sqlite_store_keeps_the_prefix(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'proxy.db'}"
    history = _opening()
    received = []
    with StubUpstream() as upstream:
        for turn in range(len(OUTPUTS)):
            history = _turn(history, turn)
            with proxy_process(upstream.url, tmp_path, "--store", store) as (proxy, _):
                _send(proxy, history)
            received.append(upstream.last("/v1/messages").json())
    _assert_prefix_stable(received)


def test_an_address_other_than_loopback_needs_a_proxy_token(tmp_path: Path) -> None:
    done = subprocess.run(
        _command("--host", "0.0.0.0"), env=_environment(tmp_path), capture_output=True, timeout=60
    )
    assert done.returncode != 0
    assert b"proxy token" in done.stderr


def test_a_broken_pipeline_file_stops_the_command(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nname: broken\nstages:\n  crush:\n    use: crush.nothing.v9\n")
    done = subprocess.run(
        _command("--pipeline", str(broken)), env=_environment(tmp_path), capture_output=True, timeout=60
    )
    assert done.returncode != 0
    assert b"crush.nothing.v9" in done.stderr


async def _slow_stream() -> AsyncIterator[bytes]:
    for n in range(10):
        yield f"data: part {n}\n\n".encode()
        await asyncio.sleep(0.2)
    yield b"data: [DONE]\n\n"


def test_stopping_the_proxy_finishes_the_streams_in_flight(tmp_path: Path) -> None:
    async def chat(request: Request) -> Response:
        await request.body()
        return StreamingResponse(_slow_stream(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    body = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with (
        serve_in_thread(app) as upstream,
        proxy_process(upstream, tmp_path, "--store", "memory://") as (proxy, process),
    ):
        with httpx.stream("POST", f"{proxy}/v1/chat/completions", json=body, timeout=30) as reply:
            chunks = []
            for chunk in reply.iter_raw():
                chunks.append(chunk)
                if len(chunks) == 1:
                    process.send_signal(signal.SIGTERM)  # stop while the stream is half sent
        text = b"".join(chunks).decode()
        process.wait(timeout=30)
    assert text.endswith("data: [DONE]\n\n")
    assert text.count("data: part") == 10


def test_help_reads_well() -> None:
    done = subprocess.run(
        _command("--help"),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0
    flags = (
        "--host --port --workers --backend --region --anthropic-api-url --openai-api-url --pipeline --store"
    )
    for flag in [*flags.split(), "--proxy-token", "--max-body-bytes", "--log-level", "--log-messages"]:
        assert flag in done.stdout
    assert "HEADROOM_PROXY_PORT" in done.stdout


@pytest.mark.parametrize("workers", [2])
def test_workers_share_a_redis_store(tmp_path: Path, workers: int) -> None:
    url = os.environ.get("HEADROOM_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("HEADROOM_TEST_REDIS_URL is not set in CI")
        pytest.skip("no Redis server (set HEADROOM_TEST_REDIS_URL)")
    import uuid

    store = f"{url}?prefix=proxy-workers-{uuid.uuid4().hex}:"
    history = _opening()
    received = []
    with (
        StubUpstream() as upstream,
        proxy_process(upstream.url, tmp_path, "--store", store, "--workers", str(workers)) as (proxy, _),
    ):
        for turn in range(len(OUTPUTS)):
            history = _turn(history, turn)
            # a new connection each turn, so the kernel may hand it to either worker
            _send(proxy, history)
            received.append(upstream.last("/v1/messages").json())
    _assert_prefix_stable(received)
