"""Shell output: each line's kind, listing rows' health, the blocks that explain a failure."""

from __future__ import annotations

from collections import Counter

import pytest

from headroom.content.shell import (
    FAIL,
    HEADER,
    OTHER,
    PASSED,
    PATH,
    PROGRESS,
    ROW,
    SECTION,
    SKIPPED,
    SUMMARY,
    TREE,
    WARN,
    ShellDocument,
)
from headroom.markers import find_summaries
from tests.stages.crush.line_checks import check_lines, counts, fixture

REF = "0123456789abcdef"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("tests/test_a.py::test_ok[3] PASSED                [ 10%]", PASSED),
        ("tests/test_a.py::test_error_handling PASSED       [ 11%]", PASSED),  # "error" in a name
        ("tests/test_a.py::test_b FAILED                    [ 12%]", FAIL),
        ("tests/test_a.py::test_c SKIPPED (flaky)           [ 13%]", SKIPPED),
        ("E       assert 5 == 10", FAIL),
        ("tests/test_a.py ....F...                          [ 40%]", FAIL),
        ("tests/test_a.py ........                          [ 40%]", PROGRESS),
        ("=========== 2 failed, 152 passed, 1 skipped in 0.91s ===========", SUMMARY),
        ("=================================== FAILURES ===================================", SECTION),
        ("--- FAIL: TestParse (0.00s)", FAIL),
        ("--- PASS: TestOther (0.00s)", PASSED),
        ("ok  \texample.com/pkg\t0.012s", PASSED),
        ("FAIL\texample.com/pkg\t0.020s", FAIL),
        ("test tests::add_case_1 ... ok", PASSED),
        ("test tests::parse_port_ok ... FAILED", FAIL),
        ("test result: FAILED. 60 passed; 2 failed; 0 ignored", SUMMARY),
        ("error[E0308]: mismatched types", FAIL),
        ("warning: unused variable: `x`", WARN),
        ("   Compiling portcalc v0.1.0 (/tmp/crate)", PROGRESS),
        ("  ✓ renders the cart (5 ms)", PASSED),
        ("  ✕ applies the discount (12 ms)", FAIL),
        ("Tests:       1 failed, 40 passed, 41 total", SUMMARY),
        ("npm error code E404", FAIL),
        ("npm ERR! code ERESOLVE", FAIL),
        ("npm warn deprecated inflight@1.0.6: This module is not supported", WARN),
        ("npm http fetch GET 200 https://registry.npmjs.org/react 372ms (cache updated)", PROGRESS),
        ("added 45 packages in 15s", SUMMARY),
        ("Collecting django==5.1", PROGRESS),
        ("  Downloading Django-5.1-py3-none-any.whl (8.2 MB)", PROGRESS),
        ("     ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 8.2/8.2 MB 25.7 MB/s  0:00:00", PROGRESS),
        ("Successfully installed Django-5.1 asgiref-3.13.0", SUMMARY),
        ("ERROR: Could not find a version that satisfies the requirement nope", FAIL),
        (
            "Get:1 http://deb.debian.org/debian bookworm/main amd64 ripgrep amd64 13.0.0-4+b2 [1253 kB]",
            PROGRESS,
        ),
        ("Setting up ripgrep (13.0.0-4+b2) ...", PROGRESS),
        ("E: Unable to locate package nope", FAIL),
        ("gcc -O2 -Wall -c -o src/mod1.o src/mod1.c", PROGRESS),
        ("src/mod40.c:1:34: error: 'undefined_symbol' undeclared", FAIL),
        ("src/mod77.c:2:22: warning: unused variable 'unused'", WARN),
        ("make: *** [Makefile:6: src/mod40.o] Error 1", FAIL),
        ("src/cart.ts(12,5): error TS2345: Argument of type 'string'", FAIL),
        (
            "[INFO] Tests run: 5, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.1 s - in com.acme.Cart",
            PASSED,
        ),
        ("[ERROR] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.2 s <<< FAILURE!", FAIL),
        ("[INFO] BUILD SUCCESS", SUMMARY),
        ("drwxr-xr-x  2 root root  4096 May  9  2026 ssl", OTHER),
        ("  tiktoken/registry.py", PATH),
        ("./src/app/main.go", PATH),
        ("/usr/lib/python3/dist-packages/", PATH),
        ("../../../bin/litellm-proxy", PATH),
        ("errors/handler.py", PATH),  # a path, not an error
        ("3/10", OTHER),  # a count, not a path
        ("see docs/setup.md for details", OTHER),
        ("Requires: regex, requests", SUMMARY),  # pip show sums a package up
        ("Location: /usr/lib/python3/dist-packages", SUMMARY),
        ("Files:", SECTION),
        ("├─┬ @npmcli/arborist@9.9.1", TREE),
        ("│ │   └── util-deprecate@1.0.2", TREE),
        ("│   ├── Cargo.toml", TREE),
        ("| `-- minimist@1.2.8", TREE),
        ("+-- express@4.18.2", TREE),
        ("npm error missing: ajv@^8.12.0, required by npm@11.19.1", FAIL),
    ],
)
def test_line_kinds(line: str, kind: str) -> None:
    document = ShellDocument.parse(f"{line}\nsome other line")
    assert document.kinds[0] == kind


def test_pytest_fixture_kinds_and_failure_sections() -> None:
    text = fixture("pytest_verbose_failures.txt")
    document = ShellDocument.parse(text)
    counts = Counter(document.kinds)
    assert counts[PASSED] == 152
    assert counts[SKIPPED] == 1
    sections = [group for group in document.groups() if document.units[group.start].startswith("____")]
    assert [document.units[group.start].strip("_ ") for group in sections] == [
        "test_config_loads",
        "test_fetch_order",
    ]
    # A failure section runs to the next one, and the last to the next `===` header.
    assert "E       ConnectionError: upstream refused connection for order ord-4471" in [
        document.units[i] for i in sections[1]
    ]
    assert {group.start for group in sections} <= document.anchors()


def test_error_signals_follow_kinds_not_words() -> None:
    text = "\n".join(
        [
            "tests/x.py::test_error_path PASSED",
            "Collecting error-reporting-lib",
            "tests/x.py::test_b FAILED",
            "npm warn deprecated x@1",
            "some line about a timeout",
        ]
    )
    assert ShellDocument.parse(text).error_signals() == [0.0, 0.0, 1.0, 0.5, 1.0]


def test_a_compiler_message_is_a_group_with_its_source_snippet() -> None:
    text = fixture("make_gcc_error.txt")
    document = ShellDocument.parse(text)
    error = next(i for i, unit in enumerate(document.units) if ": error: " in unit)
    group = next(group for group in document.groups() if group.start == error)
    assert [document.units[i] for i in group][1:3] == [
        "    1 | int f40(int x) { return x * 40 + undefined_symbol; }",
        "      |                                  ^~~~~~~~~~~~~~~~",
    ]
    # Lines explaining a failure weigh more than other lines, short of pinning them.
    assert document.error_signals()[group.start + 1] == pytest.approx(0.7)


def test_kubectl_rows_are_healthy_unless_their_status_restarts_or_readiness_say_otherwise() -> None:
    text = fixture("kubectl_get_pods.txt")
    document = ShellDocument.parse(text)
    assert document.kinds[0] == HEADER
    unhealthy = [document.units[i].split()[3] for i, kind in enumerate(document.kinds) if kind == FAIL]
    assert sorted(unhealthy) == ["CrashLoopBackOff", "ImagePullBackOff", "OOMKilled", "Pending", "Running"]
    restarted = next(i for i, unit in enumerate(document.units) if "3 (4h ago)" in unit)
    assert document.kinds[restarted] == FAIL
    completed = [i for i, unit in enumerate(document.units) if "Completed" in unit]
    assert completed and all(document.kinds[i] == ROW for i in completed)  # 0/1 READY is fine when done


def test_docker_statuses_lose_their_age_in_summaries() -> None:
    text = fixture("docker_ps.txt")
    document = ShellDocument.parse(text)
    bad = sorted(document.status[i] for i, kind in enumerate(document.kinds) if kind == FAIL)
    assert bad == ["Exited (1)", "Restarting (137)", "Up (unhealthy)"]
    assert set(document.status.values()) <= {"Up", "Up (healthy)", "Exited (0)", *bad}


def test_repeated_warnings_of_one_kind_share_a_kind_whatever_they_quote() -> None:
    text = fixture("pip_install.txt")
    document = ShellDocument.parse(text)
    kinds = document.warning_kinds()
    assert len(kinds) > 100
    assert len(set(kinds.values())) == 1


def test_a_dropped_run_is_counted_by_kind_and_rows_by_status() -> None:
    text = fixture("kubectl_get_pods.txt")
    document = ShellDocument.parse(text)
    keep = [kind in (HEADER, FAIL) for kind in document.kinds]
    rendered = document.render(keep, REF)
    summaries = find_summaries(rendered)
    assert summaries
    rows = sum(count for s in summaries for kind, count in counts(s, "kind") if kind == "row")
    running = sum(count for s in summaries for status, count in counts(s, "status") if status == "Running")
    assert rows == Counter(document.kinds)[ROW]
    assert running == sum(
        1 for i, kind in enumerate(document.kinds) if kind == ROW and "Running" in document.units[i]
    )
    check_lines(text, rendered, REF)


PIP_SHOW = "\n".join(
    [
        "Name: tiktoken",
        "Version: 0.14.0",
        "Location: /srv/venv/lib/python3.11/site-packages",
        "Requires: regex, requests",
        "Files:",
        *[f"  tiktoken/module_{i}.py" for i in range(12)],
        "  tiktoken_ext/openai_public.py",
        *[f"  litellm/llms/provider_{i}.py" for i in range(30)],
        *[f"  litellm/proxy/route_{i}.py" for i in range(20)],
        "  litellm/__init__.py",
    ]
)


def test_paths_are_grouped_by_their_top_directory() -> None:
    document = ShellDocument.parse(PIP_SHOW)
    groups = document.path_groups()
    assert list(groups) == ["tiktoken", "tiktoken_ext", "litellm"]
    assert len(groups["tiktoken"]) == 12 and len(groups["litellm"]) == 51
    assert all(document.kinds[i] == PATH for lines in groups.values() for i in lines)


def test_a_dropped_run_of_paths_is_counted_by_directory_as_deep_as_stays_short() -> None:
    document = ShellDocument.parse(PIP_SHOW)
    keep = [
        kind != PATH or document.units[i].startswith("  tiktoken") for i, kind in enumerate(document.kinds)
    ]
    rendered = document.render(keep, REF)
    (summary,) = find_summaries(rendered)
    assert dict(counts(summary, "kind")) == {PATH: 51}
    assert dict(counts(summary, "dir")) == {"litellm/llms": 30, "litellm/proxy": 20, "litellm": 1}
    check_lines(PIP_SHOW, rendered, REF)


def test_too_many_directories_are_summed_up_by_their_first_and_last_name() -> None:
    text = "\n".join(f"pkg{i:02d}/mod.py" for i in range(40))
    document = ShellDocument.parse(text)
    rendered = document.render([False] * 40, REF)
    (summary,) = find_summaries(rendered)
    assert summary.entries["dirs"] == ("pkg00", "pkg39")


NPM_TREE = """npm@11.19.1 /usr/lib/node_modules/npm
├── @isaacs/string-locale-compare@1.1.0
├─┬ @npmcli/arborist@9.9.1
│ ├── cacache@20.0.4 deduped
│ ├─┬ @npmcli/query@5.0.0
│ │ └─┬ postcss-selector-parser@7.1.4
│ │   └── cssesc@3.0.0
│ └── walk-up-path@4.0.0
└── which@6.0.1"""


def test_each_tree_branch_knows_the_line_it_hangs_from() -> None:
    document = ShellDocument.parse(NPM_TREE)
    assert document.kinds[0] == OTHER and all(kind == TREE for kind in document.kinds[1:])
    parents = document.tree_parents()
    assert parents[1] == 0 and parents[2] == 0 and parents[8] == 0  # top level: the root line
    assert parents[3] == 2 and parents[4] == 2 and parents[7] == 2
    assert parents[6] == 5 and parents[5] == 4
