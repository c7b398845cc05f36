"""crush.prose.v1: the outline, first sentences and the paragraphs and code the request is about
survive verbatim; near-duplicates and the rest become markers naming lines and section."""

from __future__ import annotations

from headroom.markers import find_markers
from headroom.stages.crush.prose import CrushProse, ProseParams
from headroom.tokens import count_tokens
from tests.stages.crush.common import assert_markers_retrieve_the_original, compressed, crushed, fixture

NODE = fixture("prose/node_child_process.md")
MAN = fixture("prose/man_ls.txt")
CHANGELOG = fixture("prose/apt_changelog.txt")


def crush(text: str, query: str, **params: object):
    return crushed(CrushProse(ProseParams(**params)), text, "prose", query)


def kept_lines(rendered: str) -> list[str]:
    return [line for line in rendered.split("\n") if not find_markers(line)]


def test_the_paragraph_the_request_is_about_survives_with_the_outline() -> None:
    block = crush(MAN, "How do I sort ls output by modification time?")
    rendered = block.render()
    assert "       -t     sort by time, newest first; see --time" in rendered.split("\n")
    for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
        assert heading in rendered.split("\n")
    assert len(kept_lines(rendered)) < 0.5 * len(MAN.split("\n"))


def test_kept_lines_are_verbatim_and_in_order_and_markers_cover_the_rest() -> None:
    block = crush(NODE, "How do I set a timeout and maxBuffer for child_process.exec?")
    rendered = block.render()
    lines = NODE.split("\n")
    kept = kept_lines(rendered)
    assert kept == [lines[i] for i in block.kept_indices()]
    markers = find_markers(rendered)
    assert sum(m.last - m.first + 1 for m in markers) + len(kept) == len(lines)
    assert all(m.total == len(lines) for m in markers)


def test_markers_name_the_section_they_sit_in() -> None:
    block = crush(NODE, "maxBuffer")
    sections = {m.section for m in find_markers(block.render())}
    assert "`child_process.exec(command[, options][, callback])`" in sections
    for marker in find_markers(block.render()):
        heading = next(
            (line for line in reversed(NODE.split("\n")[: marker.first - 1]) if line.startswith("#")), None
        )
        if marker.section is not None and heading is not None:
            assert heading.lstrip("#").strip() == marker.section


def test_code_blocks_that_match_are_kept_whole() -> None:
    block = crush(NODE, "Show an example of execFile with a callback that logs stdout")
    rendered = block.render()
    assert "```js" in rendered or "```cjs" in rendered
    assert rendered.count("```") % 2 == 0  # whole fenced blocks only


def test_near_duplicate_examples_are_not_both_kept() -> None:
    # The docs give every example twice, for CommonJS and for ES modules; one of each pair is enough
    # (unless both hold a distinctive term of the request, such as `/usr`: then both are pinned).
    block = crush(NODE, "spawn a child process and print its stdout")
    rendered = block.render()
    assert rendered.count("```cjs") + rendered.count("```mjs") <= 3


def test_a_changelog_keeps_its_entry_titles_and_the_asked_for_change() -> None:
    block = crush(CHANGELOG, "Which apt release restored the adduser dependency?")
    rendered = block.render().split("\n")
    assert "  * Restore adduser dependency for bookworm." in rendered
    assert "apt (2.6.1) unstable; urgency=medium" in rendered


def test_short_texts_and_lossless_are_left_whole() -> None:
    assert crush("\n".join(f"line {i}" for i in range(30)), "x").keep is None
    assert crush(MAN, "sort", policy="lossless").keep is None


def test_without_a_query_the_outline_and_first_sentences_remain() -> None:
    block = crush(NODE, "")
    rendered = block.render()
    assert "# Child process" in rendered and "## Synchronous process creation" in rendered
    assert count_tokens(rendered) < 0.35 * count_tokens(NODE)


def test_bias_keeps_more() -> None:
    query = "How does the shell option work on Windows?"
    base = len(crush(NODE, query).kept_indices())
    more = len(crushed(CrushProse(), NODE, "prose", query, bias=3.0).kept_indices())
    assert more > base


def test_deterministic_and_end_to_end() -> None:
    query = "How do I set a timeout for child_process.exec?"
    assert crush(NODE, query).render() == crush(NODE, query).render()
    output, store = compressed(NODE, query)
    assert "If `timeout` is greater than `0`, the parent process will send the signal" in output
    assert count_tokens(output) < 0.4 * count_tokens(NODE)
    assert_markers_retrieve_the_original(output, NODE, store)


# Option lists: the option a request describes survives ---------------------------------------------
# Expected lines chosen by rule before compressing: the line of each option whose description
# answers the question.

TAR_HELP = fixture("prose/tar_help.txt")
WGET_HELP = fixture("prose/wget_help.txt")
MAN_SSH = fixture("prose/man_ssh.txt")


def test_a_word_the_request_writes_as_one_finds_it_written_as_two() -> None:
    # "filesystems" in the request; "file system" in the description.
    block = crush(TAR_HELP, "How do I keep tar from crossing into other mounted filesystems?")
    rendered = block.render().split("\n")
    assert "      --one-file-system      stay in local file system when creating archive" in rendered


def test_two_words_the_request_writes_apart_find_them_written_as_one() -> None:
    text = "\n".join(
        ["Options:"]
        + [f"  --flag-{i}    toggles feature number {i} of the program" for i in range(60)]
        + ["  --mount-point DIR    where the filesystem is mounted"]
    )
    block = crush(text, "Which option says where the file system goes?")
    assert "  --mount-point DIR    where the filesystem is mounted" in block.render().split("\n")


def test_a_help_text_keeps_the_options_the_request_is_about_not_whole_sections() -> None:
    block = crush(WGET_HELP, "How do I set only the DNS lookup timeout in wget?")
    rendered = block.render().split("\n")
    assert "       --dns-timeout=SECS          set the DNS lookup timeout to SECS" in rendered
    assert "Download:" in rendered  # the section title above it, which introduces it
    assert len(kept_lines(block.render())) < 0.3 * len(WGET_HELP.split("\n"))


def test_a_kept_paragraph_keeps_the_option_it_describes() -> None:
    # The question matches the second paragraph of `-A`'s description, not its first line.
    block = crush(
        MAN_SSH, "Which ssh flag should be enabled with caution since users can bypass file permissions?"
    )
    rendered = block.render().split("\n")
    assert "     -A      Enables forwarding of connections from an authentication agent" in rendered
    assert any("Agent forwarding should be enabled with caution." in line for line in rendered)


def test_a_package_s_metadata_keeps_the_readme_lines_asked_for_not_its_headers() -> None:
    # The words of the path read (`psutil-7.2.2.dist-info/METADATA`: dist, info, metadata) choose
    # nothing; the `Requires-Dist:` headers answer nothing asked.
    text = fixture("prose/psutil_METADATA.txt")
    messages_path = {"file_path": "psutil-7.2.2.dist-info/METADATA"}
    output, _ = compressed(
        text, "In psutil's README, how do I get per-CPU utilization percentages?", arguments=messages_path
    )
    lines = output.split("\n")
    assert "    ...     psutil.cpu_percent(interval=1, percpu=True)" in lines
    assert sum(1 for line in lines if line.startswith("Requires-Dist:")) < 5
