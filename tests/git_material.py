"""Real `git log`, `git show` and `diff -u` output for the tests, made from installed packages.

A scratch repository is built in a temporary directory from two installed versions of pyparsing
and PyYAML (Debian's in /usr/lib/python3/dist-packages, then the venv's): an import commit, then
one commit per file brought to the newer version, a file (core.py) brought over a few hunks at a
time, a branch merged back, a commit reverted and reapplied, and tags. Authors and dates are
fixed, so the output is the same on every run. The code in every patch is the packages' own.

    python -m tests.git_material --write     # regenerate tests/fixtures/git/*.txt

The tests read the saved files, so they run the same on a machine without these packages.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

OLD_SITE = Path("/usr/lib/python3/dist-packages")
NEW_SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
FIXTURES = Path(__file__).parent / "fixtures" / "git"

AUTHORS = (
    "Ada Lovelace <ada@example.org>",
    "Grace Hopper <grace@example.org>",
    "Mei Tanaka <mei@example.org>",
    "Omar Haddad <omar@example.org>",
    "Sven Larsen <sven@example.org>",
)
ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": "/nonexistent",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_COMMITTER_NAME": "Release Bot",
    "GIT_COMMITTER_EMAIL": "bot@example.org",
}
CORE_GROUPS = 36  # core.py comes over in this many commits
_DEFINITION = re.compile(r"^\s*(?:def|class) (\w+)")


class History:
    """A scratch repository and the clock and author rota of its commits."""

    def __init__(self, root: Path):
        self.root = root
        self.count = 0

    def git(self, *args: str, author: str | None = None) -> str:
        day, hour = divmod(self.count * 31, 24)
        date = f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T{hour:02d}:{(self.count * 17) % 60:02d}:00+01:00"
        name, email = (author or AUTHORS[self.count % len(AUTHORS)]).rstrip(">").split(" <")
        env = {
            **ENV,
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def commit(self, message: str, *paths: str) -> None:
        self.git("add", "-A", *paths)
        self.git("commit", "-q", "-m", message)
        self.count += 1


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(
            source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.so"), dirs_exist_ok=True
        )
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def _grouped_versions(old: list[str], new: list[str], groups: int) -> Iterator[tuple[list[str], str]]:
    """The old file brought to the new one in `groups` steps, top to bottom, each with the names of
    the definitions it touches."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    size = max(1, -(-len(changes) // groups))
    for start in range(0, len(changes), size):
        done = changes[: start + size]
        last = done[-1]
        current = new[: last[4]] + old[last[2] :]
        names = []
        for _, i1, _, _, _ in changes[start : start + size]:
            for line in reversed(old[:i1]):
                found = _DEFINITION.match(line)
                if found:
                    if found[1] not in names:
                        names.append(found[1])
                    break
        yield current, ", ".join(names[:3]) or "module header"


def build(root: Path) -> History:
    """The scratch repository's history (see the module docstring)."""
    history = History(root)
    old_pp, new_pp = OLD_SITE / "pyparsing", NEW_SITE / "pyparsing"
    old_yaml, new_yaml = OLD_SITE / "yaml", NEW_SITE / "yaml"
    _copy(old_pp, root / "pyparsing")
    _copy(old_yaml, root / "yaml")
    history.git("init", "-q", "-b", "main")
    history.commit("Import pyparsing 3.0.9 and PyYAML 6.0\n\nThe versions Debian ships, as the baseline.")
    messages = {
        "util.py": "util: bring util.py to pyparsing 3.3.3",
        "unicode.py": "unicode: new character ranges from pyparsing 3.3.3",
        "actions.py": "actions: update parse actions to 3.3.3",
        "exceptions.py": "Fix ParseException messages: exceptions.py from 3.3.3\n\n"
        "Error messages now show the failing line and column the way 3.3.3 does.",
        "common.py": "common: pyparsing_common expressions from 3.3.3",
        "testing.py": "testing: update pyparsing_test helpers",
        "warnings.py": "Add pyparsing/warnings.py (new in 3.3.x)",
    }
    for name, message in messages.items():
        _copy(new_pp / name, root / "pyparsing" / name)
        history.commit(message)
    reverted = history.git("rev-parse", ":/actions: update").strip()
    history.git("revert", "--no-edit", reverted)
    history.count += 1
    history.git("checkout", "-q", "-b", "yaml-6.0.4")
    _copy(new_yaml / "__init__.py", root / "yaml" / "__init__.py")
    history.commit("yaml: __init__.py from PyYAML 6.0.4")
    _copy(new_yaml / "constructor.py", root / "yaml" / "constructor.py")
    history.commit(
        "Security: yaml constructor.py from PyYAML 6.0.4\n\nBrings the loader's constructor to the release "
        "that fixes the unsafe load path."
    )
    history.git("checkout", "-q", "main")
    old_core = (old_pp / "core.py").read_text().splitlines(keepends=True)
    new_core = (new_pp / "core.py").read_text().splitlines(keepends=True)
    for step, (lines, names) in enumerate(_grouped_versions(old_core, new_core, CORE_GROUPS)):
        (root / "pyparsing" / "core.py").write_text("".join(lines))
        history.commit(f"core: update {names} from 3.3.3 (part {step + 1})")
        if step == 10:
            history.git("tag", "-a", "3.1.0", "-m", "pyparsing 3.1.0")
            history.git("merge", "-q", "--no-ff", "-m", "Merge branch 'yaml-6.0.4'", "yaml-6.0.4")
            history.count += 1
    history.git("cherry-pick", reverted)
    history.git("commit", "-q", "--amend", "-m", 'Reapply "actions: update parse actions to 3.3.3"')
    history.count += 1
    for name in ("results.py", "helpers.py", "__init__.py", "diagram", "tools", "ai"):
        _copy(new_pp / name, root / "pyparsing" / name)
        history.commit(f"{name.removesuffix('.py')}: bring {name} to pyparsing 3.3.3")
    history.git("commit", "-q", "--allow-empty", "-m", "BREAKING CHANGE: require pyparsing 3.3 names")
    history.count += 1
    history.git("tag", "v3.3.3")
    return history


# The outputs written as fixtures: file name -> git arguments.
LOGS: dict[str, tuple[str, ...]] = {
    "log_medium.txt": ("log",),
    "log_fuller_decorate.txt": ("log", "--format=fuller", "--decorate", "-25"),
    "log_oneline.txt": ("log", "--oneline", "--decorate"),
    "log_oneline_graph.txt": ("log", "--oneline", "--graph", "--decorate", "--all"),
    "log_graph_stat.txt": ("log", "--graph", "--stat", "-20"),
    "log_name_status.txt": ("log", "--name-status"),
    "log_name_only.txt": ("log", "--name-only", "-30"),
    "log_stat.txt": ("log", "--stat"),
    "log_oneline_name_status.txt": ("log", "--oneline", "--name-status", "-30"),
    "log_p_small_files.txt": (
        "log", "-p", "--", "pyparsing/util.py", "pyparsing/unicode.py", "pyparsing/exceptions.py",
        "pyparsing/warnings.py", "yaml/__init__.py",
    ),
    "log_p_core.txt": ("log", "-p", "-14", "--", "pyparsing/core.py"),
}  # fmt: skip
# The saved logs, by form: full commit blocks (with --graph, --stat, --name-status, -p), one-line.
FULL_FORMS = tuple(name for name in LOGS if "oneline" not in name)
ONELINE_FORMS = tuple(name for name in LOGS if "oneline" in name)


def saved(name: str) -> str:
    """A saved output, as the tests read it."""
    return (FIXTURES / name).read_text()


SHOWS: dict[str, str] = {
    "show_results.txt": ":/results: bring",
    "show_merge.txt": ":/Merge branch",
}


# Diffs between two commits, and what git blame prints (a sha first on every line, not a log).
DIFFS: dict[str, tuple[str, ...]] = {
    "diff_three_files.txt": (
        "diff", ":/Import pyparsing", "HEAD", "--",
        "pyparsing/testing.py", "pyparsing/util.py", "yaml/constructor.py",
    ),
    "blame_util.txt": ("blame", "-L", "1,60", "pyparsing/util.py"),
    "blame_core.txt": ("blame", "-L", "1,900", "pyparsing/core.py"),
}  # fmt: skip


def outputs(history: History) -> dict[str, str]:
    found = {name: history.git(*args) for name, args in LOGS.items()}
    for name, rev in SHOWS.items():
        found[name] = history.git("show", rev)
    for name, args in DIFFS.items():
        found[name] = history.git(*args)
    return found


def moves(root: Path) -> str:
    """`git log -p` of a short history whose commits change no line: a pure rename, a mode change,
    a binary file (matplotlib's hand.png), then an edit, so a patch has files with no hunk."""
    history = History(root)
    _copy(OLD_SITE / "yaml", root / "yaml")
    history.git("init", "-q", "-b", "main")
    history.commit("Import PyYAML 6.0")
    history.git("mv", "yaml/cyaml.py", "yaml/c_yaml.py")
    history.commit("Rename cyaml.py to c_yaml.py")
    (root / "yaml" / "__init__.py").chmod(0o755)
    history.commit("Make yaml/__init__.py executable")
    _copy(NEW_SITE / "matplotlib" / "mpl-data" / "images" / "hand.png", root / "docs" / "hand.png")
    history.commit("Add the hand icon")
    _copy(NEW_SITE / "yaml" / "constructor.py", root / "yaml" / "constructor.py")
    history.commit("constructor.py from PyYAML 6.0.4")
    return history.git("log", "-p", "-4")


def src_layout(root: Path) -> str:
    """`git log --name-status` of a history that moves a package into a src/ layout: PyYAML 6.0 and
    pyparsing 3.0.9 imported; yaml/constructor.py brought to 6.0.4 a hunk at a time (one step
    reverted and reapplied) on either side of the move, so many commits touch it; the move itself
    renames every PyYAML file under src/ and takes one more step (a rename whose similarity is
    below 100); pyparsing edits in between."""
    history = History(root)
    _copy(OLD_SITE / "yaml", root / "yaml")
    _copy(OLD_SITE / "pyparsing", root / "pyparsing")
    history.git("init", "-q", "-b", "main")
    history.commit("Import PyYAML 6.0 and pyparsing 3.0.9")
    old = (OLD_SITE / "yaml" / "constructor.py").read_text().splitlines(keepends=True)
    new = (NEW_SITE / "yaml" / "constructor.py").read_text().splitlines(keepends=True)
    steps = list(_grouped_versions(old, new, 4))
    constructor = root / "yaml" / "constructor.py"
    for number, (lines, names) in enumerate(steps[:2], 1):
        constructor.write_text("".join(lines))
        history.commit(f"constructor: {names} from PyYAML 6.0.4 (part {number})")
    history.git("revert", "--no-edit", "HEAD")
    history.count += 1
    _copy(NEW_SITE / "pyparsing" / "util.py", root / "pyparsing" / "util.py")
    history.commit("util: bring util.py to pyparsing 3.3.3")
    constructor.write_text("".join(steps[1][0]))
    history.commit(f"constructor: {steps[1][1]} from PyYAML 6.0.4 (part 2, again)")
    (root / "src").mkdir()
    history.git("mv", "yaml", "src/yaml")
    (root / "src" / "yaml" / "constructor.py").write_text("".join(steps[2][0]))
    history.commit("Move PyYAML to a src/ layout\n\nThe package now lives in src/yaml (and takes part 3).")
    _copy(NEW_SITE / "pyparsing" / "unicode.py", root / "pyparsing" / "unicode.py")
    history.commit("unicode: new character ranges from pyparsing 3.3.3")
    (root / "src" / "yaml" / "constructor.py").write_text("".join(steps[3][0]))
    history.commit(f"constructor: {steps[3][1]} from PyYAML 6.0.4 (part 4)")
    _copy(NEW_SITE / "yaml" / "__init__.py", root / "src" / "yaml" / "__init__.py")
    history.commit("yaml: __init__.py from PyYAML 6.0.4")
    return history.git("log", "--name-status")


def sweep(root: Path) -> str:
    """`git show` of a sweep across a code base: Debian's PyYAML, pyparsing, PyJWT and oauthlib
    imported, then one commit putting `from __future__ import annotations` at the top of every
    module (after its leading comment lines), so each of some hundred files gets one small hunk."""
    history = History(root)
    packages = ("yaml", "pyparsing", "jwt", "oauthlib")
    for package in packages:
        _copy(OLD_SITE / package, root / package)
    history.git("init", "-q", "-b", "main")
    history.commit("Import PyYAML, pyparsing, PyJWT and oauthlib")
    for path in sorted(path for package in packages for path in (root / package).rglob("*.py")):
        lines = path.read_text().splitlines(keepends=True)
        top = 0
        while top < len(lines) and (not lines[top].strip() or lines[top].startswith("#")):
            top += 1
        lines.insert(top, "from __future__ import annotations\n\n")
        path.write_text("".join(lines))
    history.commit("Postpone the evaluation of annotations in every module")
    return history.git("show", "HEAD")


def diff_u(old: Path, new: Path, label_old: str, label_new: str) -> str:
    done = subprocess.run(
        ["diff", "-u", "--label", label_old, "--label", label_new, str(old), str(new)],
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    )
    return done.stdout


def write() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="headroom-git-") as scratch:
        history = build(Path(scratch))
        for name, text in outputs(history).items():
            (FIXTURES / name).write_text(text)
    with tempfile.TemporaryDirectory(prefix="headroom-git-") as scratch:
        (FIXTURES / "log_p_moves.txt").write_text(moves(Path(scratch)))
    with tempfile.TemporaryDirectory(prefix="headroom-git-") as scratch:
        (FIXTURES / "log_name_status_src_layout.txt").write_text(src_layout(Path(scratch)))
    with tempfile.TemporaryDirectory(prefix="headroom-git-") as scratch:
        (FIXTURES / "show_sweep.txt").write_text(sweep(Path(scratch)))
    pairs = {
        "diff_u_testing.txt": ("pyparsing/testing.py", "pyparsing"),
        "diff_u_constructor.txt": ("yaml/constructor.py", "yaml"),
    }
    for name, (relative, _) in pairs.items():
        text = diff_u(OLD_SITE / relative, NEW_SITE / relative, f"a/{relative}", f"b/{relative}")
        (FIXTURES / name).write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help="regenerate tests/fixtures/git/*.txt")
    if parser.parse_args().write:
        write()


if __name__ == "__main__":
    main()
