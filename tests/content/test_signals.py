"""Shared content signals (headroom/content/signals.py): the error vocabulary; finding terms line by line."""

from __future__ import annotations

import random

import pytest

from headroom.content.signals import (
    kept_signals,
    line_starts,
    lines_mentioning,
    lines_mentioning_each,
    per_line_error_signals,
    signal_limit,
    text_error_signal,
)
from tests.helpers import openai_tool_turn

LINES = [
    "Timeout while calling payments",
    "payments-v2 ok",
    "timeouts are retried",
    "nothing here",
    "TIMEOUT again, timeout twice",
]


def test_each_term_gets_the_lines_where_it_stands_as_a_whole_word() -> None:
    text, starts = "\n".join(LINES), line_starts(LINES)
    timeout, payments = lines_mentioning_each(text, starts, ["timeout", "payments"], most=len(LINES))
    assert timeout == {0, 4}  # not "timeouts"; twice on line 4 counts once
    assert payments == {0, 1}  # "payments-v2": a hyphen ends a word
    assert timeout == lines_mentioning(text, starts, ["timeout"])


def test_a_term_on_more_lines_than_allowed_tells_nothing_apart() -> None:
    lines = [f"request {i} ok" for i in range(10)] + ["request 10 failed"]
    text, starts = "\n".join(lines), line_starts(lines)
    common, rare = lines_mentioning_each(text, starts, ["request", "failed"], most=5)
    assert common == set()
    assert rare == {10}


def test_text_whose_lower_case_changes_length_falls_back_line_by_line() -> None:
    lines = ["İstanbul timeout", "ok", "timeout"]  # "İ" lower-cases to two characters
    text, starts = "\n".join(lines), line_starts(lines)
    assert lines_mentioning_each(text, starts, ["timeout"], most=5) == [{0, 2}]


# the vocabulary ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Memory cgroup out of memory: Killed process 48213 (java) total-vm:8123456kB",
        '5m   Warning   FailedMount   pod/web-1   MountVolume.SetUp failed for volume "db"',
        "5m   Warning   FailedScheduling   pod/web-2   0/3 nodes are available",
        "5m   Warning   BackOff   pod/web-3   Back-off restarting failed container",
        "5m   Warning   Unhealthy   pod/web-4   Readiness probe failed: HTTP probe failed",
        "5m   Warning   Evicted   pod/web-5   The node was low on resource: memory.",
        "web-6   0/1   OOMKilled   3   2m",
        "web-7   0/1   CrashLoopBackOff   5   10m",
        "node-3   NotReady   worker   40d",
        "Segmentation fault (core dumped)",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a0d5c]",
        "panic: runtime error: index out of range [3] with length 3",
        "thread 'main' panicked at src/main.rs:1:90:",
        "Error: command exited with code 137",
        "Process finished with exit code 1",
        "subprocess.CalledProcessError: Command '['make']' returned non-zero exit status 2.",
        "Exited (137) 2 hours ago",
        "payments.service: Main process exited, code=exited, status=1/FAILURE",
        '10.0.0.7 - - [27/Nov/2026:08:00:01 +0000] "POST /v1/pay HTTP/1.1" 503 112',
        "2026-11-27T08:00:01Z INFO GET /v1/cart/17 502 12ms",
        "upstream answered status=500 after 2 retries",
        "HTTP/1.1 504 Gateway Timeout",
        "ssh: connect to host 10.0.0.9 port 22: Connection refused",
        "open /etc/shadow: permission denied",
        "dial tcp 10.0.0.5:5432: i/o timeout",
        "context deadline exceeded while waiting for the lease",
        "ping: sendmsg: Network is unreachable",
        "FAILED tests/test_cart.py::test_total - AssertionError: assert 5 == 6",
        "ERROR tests/test_db.py::test_pool - ConnectionError",
        "  ✕ applies the discount (12 ms)",
        "--- FAIL: TestParsePort (0.00s)",
        "test parse::tests::port_out_of_range ... FAILED",
        "java.lang.IllegalStateException: ledger entry L-204 is not balanced",
        "json.decoder.JSONDecodeError: Expecting value: line 1 column 30 (char 29)",
        "npm ERR! code ERESOLVE",
    ],
)
def test_failures_of_every_kind_read_as_errors(line: str) -> None:
    assert text_error_signal(line) == 1.0


@pytest.mark.parametrize(
    "line",
    [
        "5m   Normal   Started   pod/web-1   Started container web",
        "=========== 0 failed, 152 passed in 0.91s ===========",
        "Tests run: 12, Failures: 0, Errors: 0, Skipped: 1",
        '{"id": 7, "error": null, "errors": []}',
        "batch done, errors=0, no errors reported",
        "connect timeout=30 read_timeout=60",
        'client = Client(base_url, "timeout": 5)',
        "curl --max-time 10 --connect-timeout 5 https://example.org",
        "exited with code 0",
        '10.0.0.7 - - [27/Nov/2026:08:00:01 +0000] "GET / HTTP/1.1" 200 5120',
        "GET /v1/cart/17 200 503ms",
        "registered ErrorHandler for /api",
        "isError: false",
        "Setting up nodejs (20.20.2-1) ...",
    ],
)
def test_lines_that_count_no_failure_or_name_a_setting_are_not_errors(line: str) -> None:
    assert text_error_signal(line) == 0.0


def test_a_status_field_whose_value_is_rare_in_the_block_is_a_signal() -> None:
    lines = [f"2026-11-27T08:00:{i % 60:02d}Z tick worker={i % 7} status=ok" for i in range(300)]
    lines[123] = "2026-11-27T08:02:03Z tick worker=4 status=degraded"
    lines[250] = '2026-11-27T08:04:10Z tick worker=5 "status": "draining"'
    signals = per_line_error_signals("\n".join(lines), line_starts(lines))
    assert [i for i, signal in enumerate(signals) if signal] == [123, 250]


def test_a_status_field_with_many_values_or_on_few_lines_is_no_signal() -> None:
    few = [f"job {i} status=ok" for i in range(10)] + ["job 10 status=odd"]
    assert not any(per_line_error_signals("\n".join(few), line_starts(few)))
    ids = [f"job {i} state=s{i}" for i in range(100)]  # every value once: an id, not a status
    assert not any(per_line_error_signals("\n".join(ids), line_starts(ids)))


def test_signal_units_are_all_kept_while_few_else_the_first_and_last_of_each_kind() -> None:
    kinds = ["a", "b", "a", "c", "a", "b", "a"] * 20
    few = [0, 2, 4, 9]
    assert kept_signals(few, kinds, total=len(kinds)) == set(few)
    many = list(range(len(kinds)))
    assert len(many) > signal_limit(len(kinds))
    assert kept_signals(many, kinds, total=len(kinds)) == {0, 1, 3, 136, 138, 139}


# end to end: kubectl get events --------------------------------------------------------------


def kubectl_events(warnings: int = 0, seed: int = 3, rows: int = 400) -> str:
    """`kubectl get events` output as kubectl aligns it (no cluster here): Normal events, one OOM kill
    on a node, one FailedMount naming a missing secret, and `warnings` BackOff warnings."""
    rng = random.Random(seed)
    pods = [f"pod/web-{rng.getrandbits(32):08x}-{rng.getrandbits(20):05x}" for _ in range(30)]
    table = [("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE")]
    backoff = set(rng.sample(range(rows), warnings))
    for i in range(rows):
        pod, age = rng.choice(pods), f"{rng.randint(1, 59)}m"
        if i == 211:
            table.append((age, "Warning", "OOMKilling", "node/ip-10-0-3-17", OOM))
        elif i == 305:
            table.append((age, "Warning", "FailedMount", pod, MOUNT))
        elif i in backoff:
            table.append(
                (age, "Warning", "BackOff", pod, f"Back-off restarting failed container web in {pod[4:]}")
            )
        else:
            reason, message = rng.choice(NORMAL)
            table.append((age, "Normal", reason, pod, message.format(n=rng.randint(0, 9))))
    widths = [max(len(row[c]) for row in table) + 3 for c in range(4)]
    return "\n".join("".join(row[c].ljust(widths[c]) for c in range(4)) + row[4] for row in table)


OOM = "Memory cgroup out of memory: Killed process 48213 (java) total-vm:8123456kB, anon-rss:4012345kB"
MOUNT = 'MountVolume.SetUp failed for volume "db-creds" : secret "payments-db-credentials" not found'
NORMAL = [
    ("Pulled", 'Container image "registry.local/web:1.{n}.2" already present on machine'),
    ("Created", "Created container web"),
    ("Started", "Started container web"),
    ("Scheduled", "Successfully assigned prod/web to ip-10-0-{n}-17"),
]


def test_an_oom_kill_and_a_failed_mount_survive_among_normal_events() -> None:
    from headroom import compress

    text = kubectl_events()
    result = compress(openai_tool_turn(text, "Why are the web pods in prod restarting?"), model="gpt-4o")
    output = result.messages[-1]["content"]
    assert OOM in output and MOUNT in output
    assert len(output) < 0.3 * len(text)


def kubelet_journal(total: int = 2000, backoffs: int = 150, seed: int = 4) -> str:
    """`journalctl -u kubelet` as a node prints it (no cluster here): routine probe lines, `backoffs`
    CrashLoopBackOff errors for a few pods, and the kernel's OOM kill once."""
    rng = random.Random(seed)
    pods = [f"web-{rng.getrandbits(32):08x}" for _ in range(6)]
    failing = set(rng.sample(range(total), backoffs))
    lines = []
    for i in range(total):
        stamp = f"Nov 27 08:{i // 60 % 60:02d}:{i % 60:02d}"
        clock = f"08:{i // 60 % 60:02d}:{i % 60:02d}.{rng.randint(0, 999999):06d}"
        pod = rng.choice(pods)
        if i == total // 2:
            lines.append(f"{stamp} ip-10-0-3-17 kernel: {OOM}")
        elif i in failing:
            lines.append(
                f'{stamp} ip-10-0-3-17 kubelet[1234]: E1127 {clock} 1234 pod_workers.go:1298] "Error syncing '
                f'pod, skipping" err="failed to \\"StartContainer\\" for \\"web\\" with CrashLoopBackOff" '
                f'pod="prod/{pod}"'
            )
        else:
            lines.append(
                f'{stamp} ip-10-0-3-17 kubelet[1234]: I1127 {clock} 1234 prober.go:107] "Probe succeeded" '
                f'probeType="Readiness" pod="prod/{pod}" containerName="web"'
            )
    return "\n".join(lines)


def test_too_many_errors_keep_each_kind_and_the_summaries_say_where_the_rest_are() -> None:
    from headroom import compress
    from headroom.markers import Positions, find_summaries

    text = kubelet_journal()
    lines = text.split("\n")
    errors = {i + 1 for i, line in enumerate(lines) if "CrashLoopBackOff" in line}
    assert len(errors) > signal_limit(len(lines))
    result = compress(openai_tool_turn(text, "Why are the web pods in prod restarting?"), model="gpt-4o")
    output = result.messages[-1]["content"]
    assert OOM in output
    shown = set(output.split("\n"))
    listed: set[int] = set()
    for line in output.split("\n"):
        for found in find_summaries(line):
            where = found.entries.get("errors")
            assert isinstance(where, Positions) or where is None
            if where is not None:
                listed.update(where.numbers())
    assert {n for n in errors if lines[n - 1] not in shown} <= listed
    assert len(output) < 0.2 * len(text)
