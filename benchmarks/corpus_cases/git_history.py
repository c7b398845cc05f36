"""Git history cases: real release histories of public Python projects, one commit per release.

Each scratch repository is made from consecutive source distributions of one project on PyPI (cached
under the scratch folder, so a rebuild does not fetch them again): the tree is the sdist's files, the
author is its PKG-INFO's maintainer (else its author), the date is the PKG-INFO member's time in the
archive, and the message is the project's own changelog entry for that version (else "Release X").
So `git log`, `git show`, `git diff` and `git blame` show real code changes with real messages.
"""

from __future__ import annotations

import datetime
import email.parser
import functools
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from corpus_kit import ENV, Call, Material, Skip, case, fit, fresh_scratch, line_matching, pypi_sdist

CHANGELOG_NAMES = (
    "CHANGES.rst",
    "CHANGES.md",
    "CHANGELOG.rst",
    "CHANGELOG.md",
    "HISTORY.rst",
    "HISTORY.md",
    "NEWS.rst",
    "NEWS.md",
    "CHANGES",
    "NEWS",
)
# Files an sdist adds that a project's repository does not hold.
SDIST_ONLY = re.compile(r"^(PKG-INFO$|[^/]*\.egg-info/|src/[^/]*\.egg-info/|setup\.cfg\.orig$)")


@dataclass
class Release:
    """One release as its sdist tells it."""

    version: str
    archive: Path
    author: str
    email: str
    timestamp: int  # seconds since the epoch: the PKG-INFO member's mtime
    message: str


def _members(archive: tarfile.TarFile) -> list[tuple[str, tarfile.TarInfo]]:
    """(path inside the project, member) for every regular file, the sdist's top folder stripped."""
    found = []
    for member in archive.getmembers():
        if not member.isfile() or "/" not in member.name:
            continue
        found.append((member.name.split("/", 1)[1], member))
    return found


def _person(headers: email.message.Message) -> tuple[str, str]:
    """The releaser: Maintainer before Author; `Name <mail>` in an -email field is split."""
    for role in ("Maintainer", "Author"):
        name = (headers.get(role) or "").strip()
        first = (headers.get(f"{role}-email") or "").split(",")[0].strip()
        named = re.match(r'^"?([^"<]+?)"?\s*<([^>]+)>$', first)
        if named:
            return (name if name and name != "UNKNOWN" else named.group(1)), named.group(2)
        if name and name != "UNKNOWN" and first:
            return name, first
    raise Skip("PKG-INFO names neither a maintainer nor an author with an address")


_UNDERLINE = re.compile(r"^([=\-~^+*#])\1{2,}\s*$")


def _headings(lines: list[str]) -> list[tuple[int, str, int]]:
    """(line index, style, lines the heading takes) of each reStructuredText or Markdown heading."""
    found = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and not _UNDERLINE.match(line) and _UNDERLINE.match(following):
            found.append((index, "rst" + following.strip()[0], 2))
        elif re.match(r"^#{1,4} \S", line):
            found.append((index, "md" + line.split(" ", 1)[0], 1))
    return found


def changelog_entry(text: str, version: str) -> tuple[str, str]:
    """(heading, body) of the changelog section whose heading names `version`; empty when none does."""
    lines = text.split("\n")
    # "8.1.3", "Version 8.1.3", "v5.5.2 (2025-02-20)", but not "18.1.3" or "8.1.30"
    named = re.compile(rf"(?:^|[^\w.]|(?<!\w)v){re.escape(version)}(?!\w|\.\d)")
    headings = _headings(lines)
    for position, (index, style, height) in enumerate(headings):
        if not named.search(lines[index]):
            continue
        end = next((i for i, s, _ in headings[position + 1 :] if s == style), len(lines))
        body = "\n".join(lines[index + height : end]).strip("\n")
        return lines[index], re.sub(r"\n{3,}", "\n\n", body).rstrip()
    return "", ""


REPRODUCIBLE_EPOCH = 946_684_800  # 2000-01-01: an archive member older than this was built with a fixed time


def release_time(pkg_info_time: int, newest_member_time: int, heading: str, body: str) -> int:
    """When the release was made: the PKG-INFO member's time; in an archive whose PKG-INFO was
    written with a fixed time, its newest file's time; in one built wholly reproducibly (every time
    zero), the date its changelog entry gives, at noon UTC."""
    for stamp in (pkg_info_time, newest_member_time):
        if stamp >= REPRODUCIBLE_EPOCH:
            return stamp
    found = re.search(r"\b(20\d\d)-(\d\d)-(\d\d)\b", heading + "\n" + body[:300])
    if not found:
        raise Skip("the archive has no real times and the changelog entry no date")
    day = datetime.datetime(*map(int, found.groups()), 12, tzinfo=datetime.timezone.utc)
    return int(day.timestamp())


@dataclass
class Sdist:
    """What one release's archive holds that the history needs."""

    headers: email.message.Message
    pkg_info_time: int
    newest_member_time: int
    changelog: str


def read_sdist(archive_path: Path) -> Sdist:
    with tarfile.open(archive_path) as archive:
        members = dict(_members(archive))

        def text(member: tarfile.TarInfo) -> str:
            handle = archive.extractfile(member)
            assert handle is not None
            return handle.read().decode("utf-8", "replace")

        info = members.get("PKG-INFO")
        if info is None:
            raise Skip(f"{archive_path.name} has no PKG-INFO")
        headers = email.parser.Parser().parsestr(text(info), headersonly=True)
        logs = [text(members[n]) for n in CHANGELOG_NAMES if n in members]
        newest = max(m.mtime for path, m in members.items() if not SDIST_ONLY.match(path))
    return Sdist(headers, int(info.mtime), int(newest), logs[0] if logs else "")


def read_releases(name: str, versions: tuple[str, ...]) -> tuple[Release, ...]:
    """Each release's author, date and message. A version's changelog entry is read from its own
    archive, else from a later one (a release that shipped without its changelog file)."""
    archives = [pypi_sdist(name, version) for version in versions]
    sdists = [read_sdist(path) for path in archives]
    releases = []
    for position, (version, path, sdist) in enumerate(zip(versions, archives, sdists, strict=True)):
        heading = entry = ""
        for later in sdists[position:]:
            heading, entry = changelog_entry(later.changelog, version)
            if entry:
                break
        author, mail = _person(sdist.headers)
        message = f"Release {version}\n\n{entry}\n" if entry else f"Release {version}\n"
        stamp = release_time(sdist.pkg_info_time, sdist.newest_member_time, heading, entry)
        releases.append(Release(version, path, author, mail, stamp, message))
    return tuple(releases)


def _replace_tree(repo: Path, archive_path: Path) -> None:
    for child in repo.iterdir():
        if child.name == ".git":
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    with tarfile.open(archive_path) as archive:
        for path, member in _members(archive):
            if SDIST_ONLY.match(path):
                continue
            target = repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = archive.extractfile(member)
            assert handle is not None
            target.write_bytes(handle.read())
            target.chmod(0o755 if member.mode & 0o111 else 0o644)


def _commit(repo: Path, release: Release) -> None:
    stamp = f"@{release.timestamp} +0000"
    env = {
        **ENV,
        "GIT_AUTHOR_NAME": release.author,
        "GIT_AUTHOR_EMAIL": release.email,
        "GIT_COMMITTER_NAME": release.author,
        "GIT_COMMITTER_EMAIL": release.email,
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
    }
    for args in (["add", "-A"], ["commit", "-q", "--allow-empty", "-F", "-"], ["tag", release.version]):
        done = subprocess.run(
            ["git", *args], cwd=repo, env=env, input=release.message, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise Skip(f"git {args[0]} failed in {repo}: {done.stderr[-300:]}")


@functools.cache
def release_repo(name: str, versions: tuple[str, ...]) -> tuple[Path, tuple[Release, ...]]:
    """A scratch repository with one commit per release, oldest first, each tagged with its version."""
    releases = read_releases(name, versions)
    repo = fresh_scratch(f"{name}-releases")
    done = subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, env=ENV, capture_output=True)
    if done.returncode != 0:
        raise Skip("git init failed")
    for release in releases:
        _replace_tree(repo, release.archive)
        _commit(repo, release)
    return repo, releases


def git_out(repo: Path, *args: str) -> str:
    """What `git <args>` prints in the repository, as a terminal shows it (no pager, no colour)."""
    done = subprocess.run(
        ["git", "-c", "core.pager=cat", "-c", "color.ui=never", *args],
        cwd=repo,
        env=ENV,
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    if done.returncode != 0:
        raise Skip(f"git {' '.join(args)} failed: {done.stderr[-300:]}")
    return done.stdout


# the histories ---------------------------------------------------------------------------------

# Consecutive releases of six pure-Python projects (none of them used by the other diff cases).
PROJECTS: dict[str, tuple[str, ...]] = {
    "click": ("8.0.4", "8.1.0", "8.1.1", "8.1.2", "8.1.3", "8.1.4", "8.1.5", "8.1.6", "8.1.7", "8.1.8"),
    "itsdangerous": ("2.0.0", "2.0.1", "2.1.0", "2.1.1", "2.1.2", "2.2.0"),
    "idna": ("3.4", "3.5", "3.6", "3.7", "3.8", "3.9", "3.10"),
    "packaging": ("21.0", "21.1", "21.2", "21.3", "22.0", "23.0", "23.1", "23.2", "24.0", "24.1", "24.2"),
    "cachetools": (
        *("5.0.0", "5.1.0", "5.2.0", "5.2.1", "5.3.0", "5.3.1"),
        *("5.3.2", "5.3.3", "5.4.0", "5.5.0", "5.5.1", "5.5.2"),
    ),
    "marshmallow": ("3.18.0", "3.19.0", "3.20.0", "3.20.1", "3.20.2", "3.21.0", "3.21.1", "3.21.2", "3.21.3"),
}


def history(name: str) -> Path:
    return release_repo(name, PROJECTS[name])[0]


def origin(name: str, what: str) -> str:
    versions = PROJECTS[name]
    return (
        f"`{what}` in a scratch git repository of {name}'s releases {versions[0]} to {versions[-1]} "
        "(one commit per PyPI sdist, with its PKG-INFO author, its date and its changelog entry)"
    )


# reading git's output --------------------------------------------------------------------------


def commit_blocks(log: str) -> list[str]:
    """A `git log` in its default (or `fuller`) format, one text per commit, from its `commit` line."""
    return [
        block for block in re.split(r"(?m)^(?=commit [0-9a-f]{40}\b)", log) if block.startswith("commit ")
    ]


def oneline_blocks(log: str) -> list[str]:
    """A `git log --oneline` with per-commit extras (`--name-status`, `--stat`), one text per commit."""
    return [b for b in re.split(r"(?m)^(?=[0-9a-f]{7,12} )", log) if re.match(r"[0-9a-f]{7,12} ", b)]


def header_facts(block: str) -> list[str]:
    """A commit's `commit`, `Author:` and `Date:` lines, as the log prints them."""
    lines = block.split("\n")
    author = next(line for line in lines if line.startswith("Author: "))
    date = next(line for line in lines if line.startswith(("Date: ", "AuthorDate: ")))
    return [lines[0].rstrip(), author.rstrip(), date.rstrip()]


def the_block(blocks: list[str], pattern: str, flags: int = 0) -> str:
    """The one commit whose text matches `pattern`: the commit a question is about."""
    found = [block for block in blocks if re.search(pattern, block, flags)]
    if len(found) != 1:
        raise Skip(f"{len(found)} commits match {pattern!r}, expected one")
    return found[0]


def file_sections(diff: str) -> dict[str, str]:
    """Each file's part of a diff or `log -p`/`show` text, by its new path (the last one wins)."""
    sections: dict[str, str] = {}
    for part in re.split(r"(?m)^(?=diff --git )", diff):
        named = re.match(r"diff --git a/(\S+) b/(\S+)", part)
        if named:
            sections[named.group(2)] = part.split("\ncommit ", 1)[0]
    return sections


def changed_lines(section: str, pattern: str | None = None) -> list[str]:
    """The `+`/`-` lines of a diff (not its `+++`/`---` file lines), optionally those matching a regex;
    blank changes left out (they say nothing), repeats once."""
    found = []
    for line in section.split("\n"):
        if line[:1] not in ("+", "-") or line.startswith(("+++ ", "--- ")) or not line[1:].strip():
            continue
        if pattern is None or re.search(pattern, line):
            found.append(line.rstrip())
    if not found:
        raise Skip(f"no changed line matches {pattern!r}")
    return list(dict.fromkeys(found))


def hunk_header_of(section: str, pattern: str) -> str:
    """The `@@ ... @@` line of the first hunk holding a changed line that matches `pattern`."""
    header = ""
    for line in section.split("\n"):
        if line.startswith("@@ "):
            header = line.rstrip()
        elif line[:1] in ("+", "-") and not line.startswith(("+++ ", "--- ")) and re.search(pattern, line):
            return header
    raise Skip(f"no hunk changes a line matching {pattern!r}")


# git log: headers, --name-status, --stat, --oneline --------------------------------------------

HEADER_RULE = "the `commit`, `Author:` and `Date:` lines of the one commit whose {what}"


@case("git_log_click_pythonw_fix", "git_log", "real", "anthropic")
def git_log_click_pythonw() -> Material:
    repo = history("click")
    output = git_out(repo, "log")
    block = the_block(commit_blocks(output), r"pythonw")
    return Material(
        question="Our click app dies with a traceback from echo() when it runs under pythonw on Windows "
        "(no console streams attached). Which click release fixed that? I need the commit, who made it "
        "and when.",
        calls=[Call("Bash", {"command": "git log", "description": "release history"}, output)],
        facts=header_facts(block),
        rule=HEADER_RULE.format(what="message names the failure the question describes (`pythonw`)"),
        origin=origin("click", "git log"),
    )


@case("git_log_name_status_packaging_src_layout", "git_log", "real", "openai")
def git_log_name_status_packaging() -> Material:
    repo = history("packaging")
    output = git_out(repo, "log", "--name-status")
    block = the_block(commit_blocks(output), r"(?m)^R\d+\tpackaging/tags\.py\t")
    return Material(
        question="Our vendoring script copies packaging/tags.py and broke after an upgrade. In which "
        "release did packaging move that module, where to, and who committed it when?",
        calls=[Call("run_shell", {"command": "git log --name-status"}, output)],
        facts=[*header_facts(block), line_matching(block, r"^R\d+\tpackaging/tags\.py\t")],
        rule=HEADER_RULE.format(what="file list renames the file the question names")
        + ", and that rename's status line",
        origin=origin("packaging", "git log --name-status"),
    )


@case("git_log_stat_click_dev_requirements", "git_log", "real", "openai")
def git_log_stat_click() -> Material:
    repo = history("click")
    output = git_out(repo, "log", "--stat")
    counted = []
    for block in commit_blocks(output):
        line = re.search(r"(?m)^ requirements/dev\.txt +\| +(\d+) .*$", block)
        if line:
            counted.append((int(line.group(1)), block, line.group(0)))
    if not counted:
        raise Skip("no commit touches requirements/dev.txt")
    _, block, stat = max(counted, key=lambda item: item[0])
    return Material(
        question="Which click release churned the pinned development requirements (requirements/dev.txt) "
        "the most, and how many lines did it change there?",
        calls=[Call("run_shell", {"command": "git log --stat"}, output)],
        facts=[block.split("\n")[0], stat.rstrip()],
        rule="the `commit` line of the commit whose --stat line for the named file shows the largest "
        "change count, and that stat line",
        origin=origin("click", "git log --stat"),
    )


@case("git_log_oneline_idna_tests_dropped", "git_log", "real", "anthropic")
def git_log_oneline_idna() -> Material:
    repo = history("idna")
    output = git_out(repo, "log", "--oneline", "--name-status")
    blocks = oneline_blocks(output)
    dropped = the_block(blocks, r"(?m)^D\ttests/test_idna\.py$")
    position = blocks.index(dropped)
    back = next(b for b in reversed(blocks[:position]) if re.search(r"(?m)^A\ttests/test_idna\.py$", b))
    return Material(
        question="Some idna release shipped an sdist without its test suite, so our distro's build ran no "
        "tests. Which release dropped tests/test_idna.py from the sdist, and which one brought it back?",
        calls=[
            Call(
                "Bash",
                {"command": "git log --oneline --name-status", "description": "files per release"},
                output,
            )
        ],
        facts=[dropped.split("\n")[0], back.split("\n")[0]],
        rule="the --oneline line of the commit whose file list deletes the named file, and of the first "
        "later commit that adds it again",
        origin=origin("idna", "git log --oneline --name-status"),
    )


@case("git_log_fuller_marshmallow_gc_leak", "git_log", "real", "openai")
def git_log_fuller_marshmallow() -> Material:
    repo = history("marshmallow")
    output = git_out(repo, "log", "--format=fuller", "--stat")
    block = the_block(commit_blocks(output), r"GC'd|garbage")
    return Material(
        question="Our workers' memory keeps growing because marshmallow schema instances are never "
        "garbage-collected. Was that fixed in a release? Give me the commit, its author and date, and "
        "which source file it changed.",
        calls=[Call("run_shell", {"command": "git log --format=fuller --stat"}, output)],
        facts=[*header_facts(block), line_matching(block, r"^ src/marshmallow/\S+\.py +\|")],
        rule=HEADER_RULE.format(what="message names the leak the question describes")
        + ", and its --stat line for the one source file it changed",
        origin=origin("marshmallow", "git log --format=fuller --stat"),
    )


# git log -p ------------------------------------------------------------------------------------


@case("git_log_p_itsdangerous_timestamp_errors", "git_log", "real", "openai")
def git_log_p_itsdangerous() -> Material:
    repo = history("itsdangerous")
    output = git_out(repo, "log", "-p", "--", "src/itsdangerous/timed.py")
    blocks = [b for b in commit_blocks(output) if re.search(r"overflow", b.split("\ndiff --git")[0], re.I)]
    if len(blocks) < 2:
        raise Skip("expected two overflow fixes")
    facts: list[str | list[str]] = []
    for block in blocks:
        facts.append(block.split("\n")[0])
        facts.extend(changed_lines(block, r"^\+\s+except "))
    return Material(
        question="On our 32-bit ARM boxes TimestampSigner.unsign blows up on tokens with a garbage "
        "timestamp. Which itsdangerous releases changed how unsign handles a malformed timestamp, and "
        "what exactly does each one catch?",
        calls=[Call("run_shell", {"command": "git log -p -- src/itsdangerous/timed.py"}, output)],
        facts=facts,
        rule="each commit whose message names an overflow: its `commit` line and the `except` lines "
        "its diff adds",
        origin=origin("itsdangerous", "git log -p -- src/itsdangerous/timed.py"),
    )


@case("git_log_p_cachetools_typedmethodkey", "git_log", "real", "anthropic")
def git_log_p_cachetools() -> Material:
    repo = history("cachetools")
    output = git_out(repo, "log", "-p", "--", "src/cachetools")
    blocks = commit_blocks(output)
    adding = [b for b in blocks if re.search(r"(?m)^\+def typedmethodkey\(", b)]
    if not adding:
        raise Skip("typedmethodkey never added")
    first = adding[-1]  # the log is newest first
    return Material(
        question="Since which cachetools release can I use keys.typedmethodkey? Show me the commit that "
        "introduced it, its date, and its signature.",
        calls=[
            Call("Bash", {"command": "git log -p -- src/cachetools", "description": "source history"}, output)
        ],
        facts=[
            first.split("\n")[0],
            header_facts(first)[2],
            line_matching(first, r"^\+def typedmethodkey\("),
        ],
        rule="the oldest commit whose diff adds the `def` of the function the question names: its "
        "`commit` and `Date:` lines and the added `def` line",
        origin=origin("cachetools", "git log -p -- src/cachetools"),
    )


@case("git_log_p_marshmallow_from_timestamp", "git_log", "real", "openai")
def git_log_p_marshmallow() -> Material:
    repo = history("marshmallow")
    output = git_out(repo, "log", "-p", "--", "src/marshmallow/utils.py")
    blocks = commit_blocks(output)
    introduced = [b for b in blocks if re.search(r"(?m)^\+def from_timestamp\(", b)][-1]
    overflow = the_block(blocks, r"(?m)^\+\s+except OverflowError")
    return Material(
        question="When was marshmallow's utils.from_timestamp introduced, and which later release changed "
        "what it does with out-of-range timestamps? Commit hashes and dates, please, and the lines.",
        calls=[Call("run_shell", {"command": "git log -p -- src/marshmallow/utils.py"}, output)],
        facts=[
            introduced.split("\n")[0],
            header_facts(introduced)[2],
            line_matching(introduced, r"^\+def from_timestamp\("),
            overflow.split("\n")[0],
            line_matching(overflow, r"^\+\s+except OverflowError"),
        ],
        rule="the oldest commit adding the named function's `def` (its `commit`, `Date:` and `def` "
        "lines) and the commit adding an `except OverflowError` to it (its `commit` line and that line)",
        origin=origin("marshmallow", "git log -p -- src/marshmallow/utils.py"),
    )


@case("git_log_G_click_os_system", "git_log", "real", "anthropic")
def git_log_g_click() -> Material:
    repo = history("click")
    first = PROJECTS["click"][0]
    output = git_out(repo, "log", "-p", "-G", r"os\.system", f"{first}..HEAD", "--", "src/click")
    blocks = commit_blocks(output)
    if len(blocks) < 2:
        raise Skip("expected two commits changing os.system calls")
    facts: list[str | list[str]] = []
    for block in blocks:
        facts.append(block.split("\n")[0])
        facts.extend(changed_lines(block, r"^-.*os\.system\("))
    return Material(
        question=f"Security review: since {first}, where did click stop shelling out through os.system? "
        "List each release that removed os.system calls and the exact calls it removed.",
        calls=[
            Call(
                "Bash",
                {
                    "command": f"git log -p -G 'os\\.system' {first}..HEAD -- src/click",
                    "description": "commits touching os.system",
                },
                output,
            )
        ],
        facts=facts,
        rule="every commit the -G search lists: its `commit` line and each removed line calling `os.system(`",
        origin=origin("click", f"git log -p -G 'os\\.system' {first}..HEAD -- src/click"),
    )


# git diff, git show ----------------------------------------------------------------------------


def upgrade(name: str, old: str, new: str, *paths: str) -> tuple[str, str]:
    """`git diff old..new [-- paths]` of a history: (the command as typed, its output)."""
    spec = ["--", *paths] if paths else []
    command = " ".join(["git", "diff", f"{old}..{new}", *spec])
    return command, git_out(history(name), "diff", f"{old}..{new}", *spec)


@case("git_diff_packaging_legacyversion_removed", "diff", "real", "anthropic")
def git_diff_packaging() -> Material:
    command, output = upgrade("packaging", "21.3", "22.0", "packaging")
    version = file_sections(output)["packaging/version.py"]
    return Material(
        question="We pin packaging 21.3 and want 22.0. Our code calls packaging.version.parse on "
        "arbitrary strings: what does parse return or do now for a non-PEP 440 version, and what was "
        "removed to get there?",
        calls=[Call("Bash", {"command": command, "description": "packaging 21.3 -> 22.0"}, output)],
        facts=[
            *changed_lines(version, r"^[-+]def parse\("),
            line_matching(version, r"^\+\s+:raises InvalidVersion:"),
            line_matching(version, r"^-class LegacyVersion\("),
        ],
        rule="in the named module's diff: the removed and added `def` lines of the named function, the "
        "added line saying what it raises, and the removed `class` line of the type it no longer returns",
        origin=origin("packaging", command),
    )


@case("git_diff_click_818_open_file_hints", "diff", "real", "openai")
def git_diff_click_818() -> Material:
    command, output = upgrade("click", "8.1.7", "8.1.8")
    utils = file_sections(output)["src/click/utils.py"]
    return Material(
        question="The 8.1.8 changelog says the type hints of click.open_file were fixed. What exactly "
        "changed in its signature? Our mypy run complains about passing a pathlib.Path.",
        calls=[Call("run_shell", {"command": command}, fit(output, 240_000))],
        facts=changed_lines(utils, r"^[-+]    filename: "),
        rule="the removed and added lines of the named function's parameter the question is about, in "
        "the module that defines it",
        origin=origin("click", command) + "; the release also renames, deletes examples and re-pins "
        "requirements/*.txt lock files",
    )


@case("git_diff_click_upgrade_pass_context", "diff", "real", "anthropic")
def git_diff_click_upgrade() -> Material:
    command, output = upgrade("click", "8.0.4", "8.1.8", "src")
    decorators = file_sections(output)["src/click/decorators.py"]
    return Material(
        question="Upgrading click from 8.0.4 to 8.1.8 broke our type checking around the decorators "
        "that inject the context. How did the signatures of pass_context and pass_obj change?",
        calls=[Call("Bash", {"command": command, "description": "click source changes"}, output)],
        facts=changed_lines(decorators, r"^[-+]def pass_(context|obj)\("),
        rule="the removed and added `def` lines of the two functions the question names",
        origin=origin("click", command),
    )


@case("git_diff_itsdangerous_fips_sha1", "diff", "real", "openai")
def git_diff_itsdangerous() -> Material:
    command, output = upgrade("itsdangerous", "2.1.2", "2.2.0")
    signer = file_sections(output)["src/itsdangerous/signer.py"]
    return Material(
        question="On our FIPS-enabled RHEL hosts importing itsdangerous failed because hashlib.sha1 is "
        "blocked. What did 2.2.0 change so the default digest is no longer touched at import time?",
        calls=[Call("run_shell", {"command": command}, output)],
        facts=[
            line_matching(signer, r"^\+def _lazy_sha1\("),
            line_matching(signer, r"^\+\s+return hashlib\.sha1\("),
            *changed_lines(signer, r"^[-+]\s+default_digest_method"),
        ],
        rule="in the signer module's diff: the added function that defers the digest (its `def` and "
        "`return` lines) and the removed and added `default_digest_method` lines",
        origin=origin("itsdangerous", command),
    )


@case("git_diff_idna_cve_core", "diff", "real", "anthropic")
def git_diff_idna() -> Material:
    command, output = upgrade("idna", "3.6", "3.7")
    core = file_sections(output)["idna/core.py"]
    return Material(
        question="idna 3.7 fixes CVE-2024-3651 (quadratic time on crafted input to encode()). What did it "
        "change in idna/core.py? Show me every changed line there.",
        calls=[Call("Bash", {"command": command, "description": "idna 3.6 -> 3.7"}, output)],
        facts=changed_lines(core),
        rule="every non-blank changed line of the file the question names",
        notes="a line changed twice in the file (`+ else:`, `+ break`) is one fact",
        origin=origin("idna", command) + "; the release also regenerates the Unicode data table "
        "idna/idnadata.py",
    )


@case("git_diff_stat_cachetools_mru_deprecation", "diff", "real", "openai")
def git_diff_cachetools() -> Material:
    repo = history("cachetools")
    first, last = PROJECTS["cachetools"][0], PROJECTS["cachetools"][-1]
    stat = git_out(repo, "diff", "--stat", f"{first}..{last}")
    command, output = upgrade("cachetools", first, last, "src/cachetools/__init__.py")
    warn = r"^\+\s+warn\(.MRUCache"
    return Material(
        question=f"We use MRUCache and are moving from cachetools {first} to {last}. Will our code start "
        "warning? Show me the hunk in the package's __init__ that does it.",
        calls=[
            Call("run_shell", {"command": f"git diff --stat {first}..{last}"}, stat),
            Call("run_shell", {"command": command}, output),
        ],
        facts=[hunk_header_of(output, warn), line_matching(output, warn)],
        rule="the hunk header of the hunk that adds the warning for the class the question names, and "
        "the added warning line",
        origin=origin("cachetools", f"git diff --stat {first}..{last}` and `{command}"),
    )


@case("git_show_packaging_ios_tags", "diff", "real", "anthropic")
def git_show_packaging() -> Material:
    repo = history("packaging")
    output = git_out(repo, "show", "24.2", "--", "src/packaging")
    tags = file_sections(output)["src/packaging/tags.py"]
    return Material(
        question="Does packaging 24.2 compute wheel platform tags for iOS (PEP 730)? Which new function "
        "yields them, and where does platform_tags dispatch to it?",
        calls=[
            Call(
                "Bash",
                {"command": "git show 24.2 -- src/packaging", "description": "the 24.2 release"},
                output,
            )
        ],
        facts=[
            line_matching(tags, r"^\+def ios_platforms\("),
            line_matching(tags, r"^\+\s+elif platform\.system\(\) == .iOS.:"),
            line_matching(tags, r"^\+\s+return ios_platforms\(\)"),
        ],
        rule="in the tags module's part of the commit: the added `def` of the new function and the two "
        "added dispatch lines that call it",
        origin=origin("packaging", "git show 24.2 -- src/packaging") + "; the release also adds the "
        "generated SPDX license table src/packaging/licenses/_spdx.py",
    )


@case("git_show_marshmallow_declared_fields", "diff", "real", "openai")
def git_show_marshmallow() -> Material:
    repo = history("marshmallow")
    output = git_out(repo, "show", "3.20.1")
    schema = file_sections(output)["src/marshmallow/schema.py"]
    return Material(
        question="What did marshmallow 3.20.1 change in schema.py? A subclass of ours overrides "
        "get_declared_fields.",
        calls=[Call("run_shell", {"command": "git show 3.20.1"}, output)],
        facts=changed_lines(schema),
        rule="every non-blank changed line of the file the question names",
        origin=origin("marshmallow", "git show 3.20.1"),
    )


@case("git_diff_marshmallow_version_deprecation", "diff", "real", "anthropic")
def git_diff_marshmallow() -> Material:
    command, output = upgrade("marshmallow", "3.20.2", "3.21.0")
    init = file_sections(output)["src/marshmallow/__init__.py"]
    return Material(
        question="Our plugin reads marshmallow.__version__ and 3.21.0 started emitting DeprecationWarnings. "
        "How is that deprecation implemented, and what does the attribute return now?",
        calls=[Call("Bash", {"command": command, "description": "marshmallow 3.20.2 -> 3.21.0"}, output)],
        facts=[
            line_matching(init, r"^-__version__ = "),
            line_matching(init, r"^\+def __getattr__\("),
            line_matching(init, r"^\+\s+return importlib\.metadata\.version\("),
            line_matching(init, r"^\+\s+raise AttributeError\("),
        ],
        rule="in the package __init__'s diff: the removed assignment of the attribute the question names, "
        "the added module `__getattr__` line, its first `return` line and its final `raise` line",
        origin=origin("marshmallow", command),
    )


@case("git_diff_stat_idna_upgrade", "diff", "real", "openai")
def git_diff_stat_idna() -> Material:
    repo = history("idna")
    first, last = PROJECTS["idna"][0], PROJECTS["idna"][-1]
    output = git_out(repo, "diff", "--stat", f"{first}..{last}")
    rows = re.findall(r"(?m)^ (\S+) +\| +(\d+) .*$", output)
    biggest = max(rows, key=lambda row: int(row[1]))
    return Material(
        question=f"How big is the idna upgrade from {first} to {last}: how many files changed, and which "
        "file changed the most lines?",
        calls=[Call("run_shell", {"command": f"git diff --stat {first}..{last}"}, output)],
        facts=[
            line_matching(output, r"^ \d+ files? changed"),
            line_matching(output, rf"^ {re.escape(biggest[0])} +\|"),
        ],
        rule="the --stat summary line and the stat line with the largest change count",
        origin=origin("idna", f"git diff --stat {first}..{last}"),
    )
