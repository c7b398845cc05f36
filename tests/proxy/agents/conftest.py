"""Fixtures for the real-agent tests: the agent binaries, and the proxy as a real subprocess.

A test serves its scripted model with `serve_in_thread` and hands the model's URL to a
route fixture, which gives back the base URL the agent is pointed at:

- `headroom_proxy`: `python -m headroom.cli proxy` on a free port, in front of the model, at
  debug level with its output in `headroom_proxy.log` (a test can read what it logged);
- `no_proxy`: the model itself (the control: what the agent sends when nothing compresses).

HEADROOM_AGENT_TESTS_PROXY replaces the proxy's command line (a template with {port},
{anthropic_url} and {openai_url}), to run the same tests against another build of a proxy. It
runs from this checkout's root, and `python -m` imports from there first: to try another
checkout, change directory in the command, e.g.
`/bin/sh -c 'cd /other/checkout && exec python -m headroom.cli proxy --port {port} ...'`.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.proxy.agents import clients

REPO_ROOT = Path(__file__).resolve().parents[3]
_PROXY_START_LIMIT_SECONDS = 60.0

Route = Callable[[str], contextlib.AbstractContextManager[str]]


@pytest.fixture
def claude_binary() -> Path:
    return clients.require("claude")


@pytest.fixture
def codex_binary() -> Path:
    return clients.require("codex")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proxy_command(port: int, upstream_url: str) -> list[str]:
    template = os.environ.get("HEADROOM_AGENT_TESTS_PROXY")
    if template:
        filled = template.format(port=port, anthropic_url=upstream_url, openai_url=f"{upstream_url}/v1")
        return shlex.split(filled)
    return [
        sys.executable,
        "-m",
        "headroom.cli",
        "proxy",
        "--port",
        str(port),
        "--anthropic-api-url",
        upstream_url,
        "--openai-api-url",
        f"{upstream_url}/v1",
        "--store",
        "memory://",
        "--log-level",
        "debug",
    ]


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + _PROXY_START_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the proxy exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the proxy did not listen on {port} in time:\n{log.read_text()[-4000:]}")


@contextlib.contextmanager
def running_proxy(upstream_url: str, log: Path) -> Iterator[str]:
    """The proxy as its own process, in front of `upstream_url`, until the block ends."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}  # this checkout's headroom, not the venv's
    with log.open("wb") as sink:
        process = subprocess.Popen(
            proxy_command(port, upstream_url), cwd=REPO_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_listening(process, port, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class ProxyRoute:
    """A Route through a fresh proxy process; what the process printed goes to `log`."""

    log: Path

    def __call__(self, upstream_url: str) -> contextlib.AbstractContextManager[str]:
        return running_proxy(upstream_url, self.log)


@pytest.fixture
def headroom_proxy(tmp_path: Path) -> ProxyRoute:
    return ProxyRoute(tmp_path / "proxy.log")


@pytest.fixture
def no_proxy() -> Route:
    return lambda upstream_url: contextlib.nullcontext(upstream_url)
