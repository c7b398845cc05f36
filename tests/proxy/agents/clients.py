"""Where the real agent clients are, and how they get there.

Claude Code and Codex come from npm, pinned exactly in `package.json` beside this file, with
the resolved tree in `package-lock.json`. Both packages carry their program as a native
binary in a per-platform optional dependency; the tests run that binary directly, so they
need no particular Node.js (the wrappers npm links into `node_modules/.bin` only find and
start the same file). Node.js and npm are needed only to install.

    python -m tests.proxy.agents.clients install    # npm ci here (what .ci/run does)
    python -m tests.proxy.agents.clients where      # the binaries found, or what is missing

`require(name)` gives a test the binary, or skips it with the command that installs it; with
CI=true a missing binary fails the test instead, so CI cannot pass without running the agents.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

AGENTS_DIR = Path(__file__).resolve().parent
NODE_MODULES = AGENTS_DIR / "node_modules"
INSTALL_COMMAND = "python -m tests.proxy.agents.clients install"

# The file each package's platform dependency ships, by (system, machine) as Python names them.
_BINARIES: dict[str, dict[tuple[str, str], str]] = {
    "claude": {
        ("Linux", "x86_64"): "@anthropic-ai/claude-code-linux-x64/claude",
        ("Linux", "aarch64"): "@anthropic-ai/claude-code-linux-arm64/claude",
        ("Darwin", "x86_64"): "@anthropic-ai/claude-code-darwin-x64/claude",
        ("Darwin", "arm64"): "@anthropic-ai/claude-code-darwin-arm64/claude",
    },
    "codex": {
        ("Linux", "x86_64"): "@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex",
        ("Linux", "aarch64"): "@openai/codex-linux-arm64/vendor/aarch64-unknown-linux-musl/bin/codex",
        ("Darwin", "x86_64"): "@openai/codex-darwin-x64/vendor/x86_64-apple-darwin/bin/codex",
        ("Darwin", "arm64"): "@openai/codex-darwin-arm64/vendor/aarch64-apple-darwin/bin/codex",
    },
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def binary(name: str) -> Path | None:
    """The installed native binary of `name` ("claude" or "codex") for this machine, or None."""
    relative = _BINARIES[name].get((platform.system(), platform.machine()))
    if relative is None:
        return None
    path = NODE_MODULES / relative
    return path if path.is_file() and os.access(path, os.X_OK) else None


def require(name: str) -> Path:
    """The binary for a test: skipped when not installed locally, a failure in CI."""
    path = binary(name)
    if path is not None:
        return path
    reason = f"{name} is not installed under {NODE_MODULES}: run `{INSTALL_COMMAND}` (needs npm)"
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


def install() -> None:
    """`npm ci` from the lock file: the exact versions, no audit or funding chatter."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not on PATH: install Node.js and npm to install the agent clients")
    # --include=optional: the native binaries are optional dependencies, whatever the user's npm config
    # says. --ignore-scripts: Claude Code's postinstall only copies its binary to where we do not look.
    # --prefer-offline: tarballs already in npm's cache (checked against the lock's hashes) are reused.
    command = [
        npm,
        "ci",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--include=optional",
        "--ignore-scripts",
        "--loglevel=error",
    ]
    subprocess.run(command, cwd=AGENTS_DIR, check=True)
    missing = [name for name in _BINARIES if binary(name) is None]
    if missing:
        raise SystemExit(f"npm ci finished but no binary for {', '.join(missing)} on this machine")


def _where() -> int:
    found = {name: binary(name) for name in _BINARIES}
    for name, path in found.items():
        print(f"{name}: {path or 'not installed'}")
    return 0 if all(found.values()) else 1


if __name__ == "__main__":
    verb = sys.argv[1] if len(sys.argv) > 1 else "where"
    if verb == "install":
        install()
        sys.exit(_where())
    if verb == "where":
        sys.exit(_where())
    raise SystemExit(f"usage: python -m tests.proxy.agents.clients [install|where], not {verb!r}")
