"""Detection of tool output: search results, diffs, shell output and logs, from real samples."""

from __future__ import annotations

import pytest

from headroom.content import detect_label
from tests.stages.crush.line_checks import fixture


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("grep_rn_def_init.txt", "search"),
        ("grep_context_timeout.txt", "search"),
        ("rg_heading_def_init.txt", "search"),
        ("rg_column_retry.txt", "search"),
        ("git_grep_timeout.txt", "search"),
        ("git_show_lock_bump.txt", "diff"),
        ("pytest_verbose_failures.txt", "shell"),
        ("cargo_test_failures.txt", "shell"),
        ("cargo_build_error.txt", "shell"),
        ("make_gcc_error.txt", "shell"),
        ("pip_install.txt", "shell"),
        ("npm_install_verbose.txt", "shell"),
        ("apt_install.txt", "shell"),
        ("kubectl_get_pods.txt", "shell"),
        ("docker_ps.txt", "shell"),
        ("payments_client_errors.log", "log"),
        ("http_server_access.log", "log"),
        ("dpkg.log", "log"),
    ],
)
def test_real_tool_output_gets_its_label(name: str, label: str) -> None:
    assert detect_label(fixture(name)) == label


def test_a_diff_that_deletes_a_long_file_is_still_a_diff() -> None:
    removed = "\n".join(f"-line {i} of a file that is going away" for i in range(500))
    header = "diff --git a/old.py b/old.py\ndeleted file mode 100644\nindex 82840f2..0000000\n"
    text = f"{header}--- a/old.py\n+++ /dev/null\n@@ -1,500 +0,0 @@\n{removed}"
    assert detect_label(text) == "diff"


def test_ripgrep_heading_output_for_one_file_is_search_not_numbered_code() -> None:
    text = "src/app.py\n3:import os\n10:def main():\n11-    return os.getcwd()\n40:    main()"
    assert detect_label(text) == "search"


def test_grep_with_context_lines_and_separators_is_search() -> None:
    text = "\n".join(
        ["a/b.py-9-    x = 1", "a/b.py:10:    raise TimeoutError", "a/b.py-11-    y = 2", "--"] * 5
    )
    assert detect_label(text) == "search"


def test_a_kernel_log_opening_with_a_bracketed_time_is_a_log_not_a_json_array() -> None:
    text = "\n".join(f"[    {i}.{i:06d}] pci 0000:00:0{i % 9}.0: BAR 0 [mem 0x4000000000]" for i in range(30))
    assert detect_label(text) == "log"


def test_a_listing_is_shell_output() -> None:
    rows = "\n".join(f"web-{i:04d}   1/1     Running   0          {i}d" for i in range(30))
    assert detect_label("NAME         READY   STATUS    RESTARTS   AGE\n" + rows) == "shell"
