"""Logs written on this machine: package-manager logs read with new questions, and the logs of real
servers (PostgreSQL, Redis) and of `strace`, run here on scratch data with real failures in them."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from corpus_kit import (
    ENV,
    Call,
    Material,
    Skip,
    Turn,
    case,
    fresh_scratch,
    last_line_matching,
    line_matching,
    read,
    run,
)

# package-manager logs --------------------------------------------------------------------------


@case("alternatives_log_editor_cc", "log", "real", "openai")
def alternatives_log() -> Material:
    text = read(Path("/var/log/alternatives.log"))
    groups = ("editor", "cc")
    facts = [last_line_matching(text, rf": link group {group} updated to point to ") for group in groups]
    return Material(
        question="Which programs do the `editor` and `cc` alternatives point to on this box, and when were "
        "they last switched?",
        calls=[Call("run_shell", {"command": "cat /var/log/alternatives.log"}, text)],
        facts=facts,
        origin="/var/log/alternatives.log",
        rule="the last `link group <name> updated` line for each alternative group the question names",
    )


@case("fontconfig_cache_log", "log", "real", "anthropic")
def fontconfig_log() -> Material:
    text = read(Path("/var/log/fontconfig.log"))
    return Material(
        question="Did fc-cache find any fonts when the image was built? Which directory held them, and how "
        "many?",
        calls=[Call("Read", {"file_path": "/var/log/fontconfig.log"}, text)],
        facts=[line_matching(text, r": caching, new cache contents: [1-9]\d* fonts")],
        origin="/var/log/fontconfig.log",
        rule="the cache line that reports a non-zero number of fonts",
        notes="small output: checks that short blocks pass through untouched",
    )


@case("dpkg_log_postgres_redis", "log", "real", "anthropic")
def dpkg_log_postgres_redis() -> Material:
    lines = read(Path("/var/log/dpkg.log")).rstrip("\n").split("\n")
    tail = "\n".join(lines[-1400:])
    packages = ("postgresql-15", "redis-server")
    facts = []
    for package in packages:
        facts.append(line_matching(tail, rf" install {re.escape(package)}:\S+ "))
        facts.append(last_line_matching(tail, rf" status installed {re.escape(package)}:\S+ "))
    return Material(
        question="When were postgresql-15 and redis-server installed on this machine, and which versions "
        "ended up installed?",
        calls=[
            Call(
                "Bash",
                {"command": "tail -n 1400 /var/log/dpkg.log", "description": "recent package operations"},
                tail,
            )
        ],
        facts=facts,
        origin="/var/log/dpkg.log (last 1400 lines)",
        rule="for each package the question names, its `install` line and its last `status installed` line",
    )


@case("apt_term_log_initdb", "log", "real", "openai")
def apt_term_log_initdb() -> Material:
    text = read(Path("/var/log/apt/term.log"))
    block = text[text.index("Setting up postgresql-15 ") :]
    block = block[: block.index("Setting up postgresql-contrib")]
    return Material(
        question="When the PostgreSQL 15 package set up its main cluster, what initdb command did it run, "
        "and which max_connections and shared_buffers defaults did initdb select?",
        calls=[Call("run_shell", {"command": "cat /var/log/apt/term.log"}, text)],
        facts=[
            line_matching(block, r"/bin/initdb -D "),
            line_matching(block, r"^selecting default max_connections \.\.\. "),
            line_matching(block, r"^selecting default shared_buffers \.\.\. "),
        ],
        origin="/var/log/apt/term.log",
        rule="in the postgresql-15 setup block, the initdb command line and the two `selecting default` "
        "lines for the settings the question names",
    )


# strace ----------------------------------------------------------------------------------------

_SYNC_SCRIPT = """import json
import urllib.request

try:
    with open("/etc/shadow") as handle:
        handle.read()
except PermissionError as error:
    print("warning: cannot read credentials:", error)
with urllib.request.urlopen("http://127.0.0.1:9/api/v1/sync") as response:
    print(json.load(response))
"""


@case("strace_sync_script", "log", "real", "anthropic")
def strace_sync_script() -> Material:
    folder = fresh_scratch("strace-sync")
    script = folder / "sync.py"
    script.write_text(_SYNC_SCRIPT)
    folder.chmod(0o755)
    script.chmod(0o644)
    output = run(
        [
            "runuser", "-u", "nobody", "--", "env", "PATH=/usr/bin:/bin",
            "strace", "-f", "-e", "trace=%file,%network",
            "/usr/bin/python3", str(script),
        ],
        ok=(1,),
    )  # fmt: skip
    output = output.replace(str(folder), "/opt/sync")
    # The process id is the one volatile field: number it as strace's first child would be.
    pids = sorted(set(re.findall(r"^(\d+) ", output, re.MULTILINE)))
    for index, pid in enumerate(pids):
        output = re.sub(rf"^{pid} ", f"{4100 + index} ", output, flags=re.MULTILINE)
    return Material(
        question="The nightly sync script dies right after start when it runs as `nobody`. I traced it: "
        "which file is it denied, and which connection is refused (address and port)?",
        calls=[
            Call(
                "Bash",
                {
                    "command": "sudo -u nobody strace -f -e trace=%file,%network /usr/bin/python3 "
                    "/opt/sync/sync.py",
                    "description": "trace file and network syscalls",
                },
                output,
            )
        ],
        facts=[
            line_matching(output, r"= -1 EACCES \(Permission denied\)$"),
            line_matching(output, r"connect\(.*= -1 ECONNREFUSED"),
        ],
        origin="a real `strace -f -e trace=%file,%network` of a small Python script run as `nobody` that "
        "reads /etc/shadow and connects to a closed port on 127.0.0.1",
        rule="the syscall line that fails with EACCES and the connect line that fails with ECONNREFUSED",
    )


# PostgreSQL ------------------------------------------------------------------------------------

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORT = "55439"


class Postgres:
    """A scratch PostgreSQL cluster owned by `postgres`, listening on a Unix socket only."""

    def __init__(self, name: str, settings: dict[str, str]):
        if not (PG_BIN / "postgres").exists():
            raise Skip("PostgreSQL 15 is not installed")
        self.folder = fresh_scratch(name)
        self.folder.chmod(0o777)
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.settings = settings

    def as_postgres(self, args: list[str], ok: tuple[int, ...] = (0,), stdin: str = "") -> str:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            cwd=self.folder, env=ENV, input=stdin, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode not in ok:
            raise Skip(f"{args[0]} exited {done.returncode}: {done.stderr[-400:]}")
        return done.stdout + done.stderr

    def start(self) -> None:
        self.as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"])
        options = f"-p {PG_PORT} -k {self.folder} -c listen_addresses=''"
        for key, value in self.settings.items():
            options += f" -c {key}={value}"
        self.as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start"]
        )

    def stop(self) -> None:
        self.as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"], ok=(0, 1)
        )

    def psql(self, sql: str, ok: tuple[int, ...] = (0,), user: str = "postgres", db: str = "shop") -> str:
        return self.as_postgres(
            [
                "psql",
                "-X",
                "-h",
                str(self.folder),
                "-p",
                PG_PORT,
                "-U",
                user,
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=0",
            ],
            ok=ok,
            stdin=sql,
        )

    def background(self, sql: str, db: str = "shop") -> subprocess.Popen[str]:
        process = subprocess.Popen(
            ["runuser", "-u", "postgres", "--", "psql", "-X", "-h", str(self.folder), "-p", PG_PORT,
             "-U", "postgres", "-d", db],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV,
        )  # fmt: skip
        assert process.stdin is not None
        process.stdin.write(sql)
        process.stdin.close()
        return process

    def pgbench(self, *args: str) -> str:
        return self.as_postgres(
            [str(PG_BIN / "pgbench"), "-h", str(self.folder), "-p", PG_PORT, "-U", "postgres", *args, "shop"]
        )


def _pg_workload(pg: Postgres) -> None:
    """pgbench traffic with real failures among it: a typo, a denied role, a timeout, a deadlock, a
    duplicate key and a backend terminated by an administrator."""
    pg.as_postgres([str(PG_BIN / "createdb"), "-h", str(pg.folder), "-p", PG_PORT, "-U", "postgres", "shop"])
    pg.pgbench("-i", "-s", "1", "-q")
    pg.psql("CREATE ROLE reporting LOGIN; GRANT CONNECT ON DATABASE shop TO reporting;")
    pg.pgbench("-c", "2", "-t", "30", "-n")
    pg.psql("SELECT count(*) FROM pgbench_acounts;")
    pg.psql("SELECT bid, sum(delta) FROM pgbench_history GROUP BY bid;", user="reporting")
    pg.pgbench("-c", "2", "-t", "30", "-n")
    pg.psql("SET statement_timeout = '200ms'; SELECT pg_sleep(2), count(*) FROM pgbench_accounts;")
    first = pg.background(
        "BEGIN; UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1; SELECT pg_sleep(1);"
        " UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 2; COMMIT;\n"
    )
    time.sleep(0.3)
    second = pg.background(
        "BEGIN; UPDATE pgbench_accounts SET abalance = abalance - 1 WHERE aid = 2; SELECT pg_sleep(1);"
        " UPDATE pgbench_accounts SET abalance = abalance - 1 WHERE aid = 1; COMMIT;\n"
    )
    first.wait(timeout=60)
    second.wait(timeout=60)
    pg.pgbench("-c", "2", "-t", "30", "-n")
    pg.psql("INSERT INTO pgbench_branches (bid, bbalance) VALUES (1, 0);")
    sleeper = pg.background("SET application_name = 'nightly_export'; SELECT pg_sleep(30);\n")
    time.sleep(0.5)
    pg.psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'nightly_export';"
    )
    sleeper.wait(timeout=60)
    pg.pgbench("-c", "2", "-t", "20", "-n")


def _pg_server_log() -> str:
    pg = Postgres(
        "postgres-shop",
        {
            "log_line_prefix": "'%m [%p] %q%u@%d '",
            "log_statement": "all",
            "log_connections": "on",
            "deadlock_timeout": "200ms",
        },
    )
    pg.start()
    try:
        _pg_workload(pg)
    finally:
        pg.stop()
    return read(pg.log)


_pg_log_cache: list[str] = []


def pg_server_log() -> str:
    """The scratch cluster's server log (built once per run: two cases read it)."""
    if not _pg_log_cache:
        _pg_log_cache.append(_pg_server_log())
    return _pg_log_cache[0]


@case("postgres_server_log_deadlock", "log", "real", "openai")
def postgres_deadlock() -> Material:
    text = pg_server_log()
    lines = text.rstrip("\n").split("\n")
    start = next(i for i, line in enumerate(lines) if "ERROR:  deadlock detected" in line)
    # The error and its DETAIL lines (each names one process, its lock and the other's statement).
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if re.match(r"\d{4}-\d\d-\d\d ", line) and "DETAIL:" not in line:
            break
        block.append(line)
    facts = [block[0], *[line for line in block if re.search(r"Process \d+ waits for", line)]]
    return Material(
        question="Our balance transfer job logged a deadlock on the shop database. Which processes were "
        "involved and what was each waiting for?",
        calls=[Call("run_shell", {"command": "cat /var/log/postgresql/postgresql-15-main.log"}, text)],
        facts=facts,
        origin="the server log of a scratch PostgreSQL 15 cluster (log_statement=all) under pgbench "
        "traffic, with a real deadlock, a denied role, a timeout and a terminated backend",
        rule="the `ERROR:  deadlock detected` line and each of its DETAIL lines that says which lock a "
        "process waits for",
        notes="a snapshot: timestamps and process ids change on every rebuild",
    )


@case("session_postgres_reporting_denied", "log", "real", "anthropic")
def session_postgres_denied() -> Material:
    text = pg_server_log()
    denied = line_matching(text, r"reporting@shop ERROR:  permission denied for table")
    terminated = line_matching(text, r"FATAL:  terminating connection due to administrator command")
    first = "\n".join(line for line in text.split("\n") if "connection authorized" in line)
    return Material(
        history=[
            Turn(
                question="Which users connected to the shop database today? Just the authorizations.",
                calls=[
                    Call(
                        "Grep",
                        {
                            "pattern": "connection authorized",
                            "path": "/var/log/postgresql/postgresql-15-main.log",
                        },
                        first,
                    )
                ],
                answer="Mostly `postgres` (pgbench and psql sessions), plus one session of the "
                "`reporting` role.",
            )
        ],
        question="The reporting role's query failed, and the nightly export's connection was cut. Read the "
        "full server log: what error did reporting get, on which table, and what ended the export?",
        calls=[Call("Read", {"file_path": "/var/log/postgresql/postgresql-15-main.log"}, text)],
        facts=[denied, terminated],
        origin="a two-turn session over the server log of a scratch PostgreSQL 15 cluster: the "
        "connection lines, then the whole log",
        rule="the ERROR line of the role the question names, and the FATAL line of the terminated connection",
        notes="a snapshot: timestamps and process ids change on every rebuild",
    )


# Redis -----------------------------------------------------------------------------------------


@case("redis_server_log_bgsave", "log", "real", "openai")
def redis_bgsave() -> Material:
    try:
        import redis
    except ImportError as error:
        raise Skip("the redis client is not installed") from error
    folder = fresh_scratch("redis-cache")
    folder.chmod(0o777)
    snapshots = folder / "snapshots"
    snapshots.mkdir()
    snapshots.chmod(0o555)  # the server's user cannot write its snapshots here
    socket = folder / "redis.sock"
    log = folder / "redis.log"
    run(
        ["runuser", "-u", "redis", "--", "redis-server", "--port", "0", "--unixsocket", str(socket),
         "--dir", str(snapshots), "--loglevel", "verbose", "--logfile", str(log), "--daemonize", "yes",
         "--save", ""],
    )  # fmt: skip
    for _ in range(50):
        if socket.exists():
            break
        time.sleep(0.1)
    try:
        for index in range(240):
            client = redis.Redis(unix_socket_path=str(socket), client_name=f"worker-{index % 8}")
            client.set(f"cart:{index}", "x" * (index % 50))
            client.incr("orders:count")
            if index == 170:
                client.bgsave()
                time.sleep(0.5)
            client.close()
        redis.Redis(unix_socket_path=str(socket)).shutdown(nosave=True)
    except redis.exceptions.ConnectionError:
        pass  # the shutdown closes the connection
    time.sleep(0.3)
    text = read(log).replace(str(folder), "/var/lib/redis")
    return Material(
        question="Redis isn't writing its snapshots. What does the server log say went wrong with the "
        "background save, and in which directory?",
        calls=[Call("run_shell", {"command": "cat /var/log/redis/redis-server.log"}, text)],
        facts=[
            line_matching(text, r"Failed opening the temp RDB file"),
            line_matching(text, r"# Background saving error"),
        ],
        origin="the verbose log of a real redis-server 7 on a Unix socket, 240 client connections, and a "
        "BGSAVE into a directory its user cannot write",
        rule="the log lines that report the background save's failure",
        notes="a snapshot: timestamps and process ids change on every rebuild",
    )
