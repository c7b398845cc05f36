"""crush.search.v1: the first match of the best files, what the request asks for, the rest counted."""

from __future__ import annotations

from typing import Any

import pytest

from headroom import compress, retrieve
from headroom.ccr.stores import MemoryStore
from headroom.content.search import CONTEXT, HEADING, MATCH, SearchDocument
from headroom.markers import find_markers, find_summaries
from headroom.stages.crush.search import CrushSearch, SearchParams
from headroom.stages.score import Score
from headroom.tokens import count_tokens
from tests.helpers import labelled, make_state, openai_tool_turn, run_stage, tool_block
from tests.stages.crush.line_checks import check_lines, counts, fixture

GREP = fixture("grep_rn_def_init.txt")
QUERY = "Where does botocore/retryhandler.py set up its checkers?"
ARGS = {"command": "grep -rn 'def __init__' ."}


def crushed(
    text: str,
    query: str = QUERY,
    *,
    score: bool = True,
    bias: float = 1.0,
    pinned: set[int] | None = None,
    **params: Any,
) -> Any:
    messages = openai_tool_turn(text, query, tool="bash", arguments=ARGS)
    state = labelled(make_state(messages, bias={3: bias}), "search")
    if score:
        run_stage(Score(), state)
    block = tool_block(state)
    if pinned is not None:
        block.pinned = set(pinned)
    run_stage(CrushSearch(SearchParams(**params)), state)
    return block


def test_the_file_the_question_names_survives_and_most_of_the_rest_is_counted() -> None:
    block = crushed(GREP)
    rendered = block.render()
    named = [line for line in GREP.split("\n") if line.startswith("botocore/retryhandler.py:")]
    assert len(named) == 6
    assert all(line in rendered.split("\n") for line in named)
    kept = check_lines(GREP, rendered, block.ref)
    assert len(kept) < len(GREP.split("\n")) // 10
    assert count_tokens(rendered) < 0.2 * count_tokens(GREP)
    assert block.notes == [f"crush.search.v1:lines 811->{len(kept)}"]


def test_the_first_match_of_each_of_the_first_files_is_kept() -> None:
    block = crushed(GREP, "What do these constructors take?", max_files=10, max_relevant=0)
    document = block.document
    assert isinstance(document, SearchDocument)
    kept = set(block.kept_indices())
    firsts = [next(i for i in run if document.lines[i].kind == MATCH) for run in document.files()]
    assert set(firsts[:8]) <= kept  # the first files (position scores favour the very first and last)
    shown = {document.lines[i].path for i in kept if document.lines[i].kind == MATCH}
    assert 10 <= len(shown) <= 12


def test_summaries_count_exactly_the_matches_of_each_file_they_stand_for() -> None:
    block = crushed(GREP)
    document = block.document
    assert isinstance(document, SearchDocument)
    checked = 0
    for line in block.render().split("\n"):
        markers, summaries = find_markers(line), find_summaries(line)
        if not summaries or "matches" not in summaries[0].entries:
            continue
        span = range(markers[0].first - 1, markers[0].last)
        for path, count in counts(summaries[0], "matches"):
            assert count == sum(
                1 for i in span if document.lines[i].kind == MATCH and document.lines[i].path == path
            )
            checked += 1
    assert checked > 5


def test_heading_mode_keeps_the_heading_of_every_file_a_kept_match_belongs_to() -> None:
    text = fixture("rg_heading_def_init.txt")
    block = crushed(text, "Which starlette classes take a scope?")
    document = block.document
    assert isinstance(document, SearchDocument) and document.heading_mode
    kept = set(check_lines(text, block.render(), block.ref))
    for run in document.files():
        if any(i in kept and document.lines[i].kind == MATCH for i in run):
            assert document.lines[run.start].kind == HEADING and run.start in kept
    assert count_tokens(block.render()) < 0.3 * count_tokens(text)


def test_context_lines_next_to_a_kept_match_are_kept() -> None:
    text = fixture("grep_context_timeout.txt")
    block = crushed(text, "Where does filelock raise TimeoutError?", context_lines=1)
    document = block.document
    assert isinstance(document, SearchDocument)
    kept = set(check_lines(text, block.render(), block.ref))
    for index in kept:
        if document.lines[index].kind != MATCH:
            continue
        for neighbour in (index - 1, index + 1):
            line = document.lines[neighbour] if 0 <= neighbour < len(document.lines) else None
            if line is not None and line.kind == CONTEXT and line.path == document.lines[index].path:
                assert neighbour in kept


def test_without_scores_it_still_compresses_faithfully() -> None:
    block = crushed(GREP, score=False)
    kept = check_lines(GREP, block.render(), block.ref)
    assert 25 <= len(kept) < 80


def test_pinned_lines_always_survive() -> None:
    block = crushed(GREP, score=False, pinned={400, 401, 777})
    assert {400, 401, 777} <= set(block.kept_indices())


def test_bias_scales_how_many_files_are_kept() -> None:
    sizes = [len(crushed(GREP, score=False, bias=bias).kept_indices()) for bias in (0.5, 1.0, 2.0)]
    assert sizes[0] < sizes[1] < sizes[2]


def test_lossless_and_short_results_are_left_whole() -> None:
    assert crushed(GREP, policy="lossless").keep is None
    short = "\n".join(GREP.split("\n")[:40])
    assert crushed(short).keep is None


def test_the_same_input_gives_the_same_bytes() -> None:
    assert crushed(GREP).render() == crushed(GREP).render()


def test_compress_end_to_end_labels_crushes_and_keeps_the_original_retrievable() -> None:
    store = MemoryStore()
    text = fixture("rg_column_retry.txt")
    result = compress(
        openai_tool_turn(
            text, "Where is the retry quota released?", tool="bash", arguments={"cmd": "rg retry"}
        ),
        store=store,
    )
    output = result.messages[-1]["content"]
    wanted = "botocore/retries/standard.py:743:17:    def release_retry_quota(self, context, http_response,"
    assert wanted + " **kwargs):" in output
    assert any(note.startswith("crush.search.v1:lines 164->") for note in result.transforms_applied)
    (ref,) = {marker.hash for marker in find_markers(output)}
    assert retrieve(ref, store) == text
    check_lines(text, output, ref)


# A hit is its match and its context lines --------------------------------------------------------
# Real `git grep` over h11 (site-packages). Expected lines, by rule, before compressing: for each
# `Class.method` the question names, its `def` hit and the first `raise` line of its context; for a
# quoted message, the match and the `def` of its hit.

H11_DEFS = fixture("git_grep_A6_h11_defs.txt")
H11_RAISES = fixture("git_grep_B4_h11_raise.txt")


def crushed_grep(text: str, query: str, command: str) -> Any:
    messages = openai_tool_turn(text, query, tool="bash", arguments={"command": command})
    state = labelled(make_state(messages), "search")
    run_stage(Score(), state)
    run_stage(CrushSearch(SearchParams()), state)
    return tool_block(state)


def test_a_context_line_the_request_asks_about_survives_with_its_match() -> None:
    block = crushed_grep(
        H11_DEFS,
        "What do h11's ContentLengthWriter.send_eom and Http10Writer.send_eom raise? Show me where each "
        "is defined.",
        "git grep -n -A6 -E '^\\s+def '",
    )
    lines = H11_DEFS.split("\n")
    facts = [
        "h11/_writers.py:94:    def send_eom(self, headers: Headers, write: Writer) -> None:",
        "h11/_writers.py-96-            raise LocalProtocolError("
        + '"Too little data for declared Content-Length")',
        "h11/_writers.py:120:    def send_eom(self, headers: Headers, write: Writer) -> None:",
        "h11/_writers.py-122-            raise LocalProtocolError("
        + '"can\'t send trailers to HTTP/1.0 client")',
    ]
    kept = check_lines(H11_DEFS, block.render(), block.ref)
    assert {lines.index(fact) for fact in facts} <= set(kept)
    assert len(kept) < len(lines) // 4


def test_every_kept_context_line_chosen_for_the_request_keeps_its_match() -> None:
    block = crushed_grep(
        H11_DEFS, "Which writer raises LocalProtocolError about trailers?", "git grep -n -A6 'def '"
    )
    document = block.document
    assert isinstance(document, SearchDocument)
    kept = set(block.kept_indices())
    relevant = [i for i in kept if document.lines[i].kind == CONTEXT and "trailers" in document.units[i]]
    assert relevant
    assert all(document.hit_of(i) in kept for i in relevant)


def test_the_hit_the_request_names_keeps_its_leading_context() -> None:
    block = crushed_grep(
        H11_RAISES,
        'Which method raises "Too much data for declared Content-Length"?',
        "git grep -n -B4 'raise '",
    )
    rendered = block.render().split("\n")
    assert "h11/_writers.py-88-    def send_data(self, data: bytes, write: Writer) -> None:" in rendered
    assert (
        'h11/_writers.py:91:            raise LocalProtocolError("Too much data for declared Content-Length")'
        in rendered
    )
    check_lines(H11_RAISES, block.render(), block.ref)


def _definitions_grep() -> tuple[str, str]:
    """`grep -rn '^\\s*(class|def) '` over forty modules, each with classes defining `request` and `close`."""
    lines = []
    for m in range(40):
        path = f"pkg/mod{m:02d}.py"
        for c, name in enumerate(("Client", "Pool", f"Helper{m}")):
            lines.append(f"{path}:{100 * c + 1}:class {name}{m if name != f'Helper{m}' else ''}:")
            for n, method in enumerate(("__init__", "request", "close", f"step_{c}")):
                lines.append(f"{path}:{100 * c + 10 * n + 5}:    def {method}(self):")
    lines.insert(len(lines) // 2, "pkg/session.py:12:class Session:")
    wanted = "pkg/session.py:40:    def request(self, method, url, **kwargs):"
    lines.insert(len(lines) // 2 + 1, wanted)
    return "\n".join(lines), wanted


def test_a_method_the_request_names_in_words_keeps_its_definition_under_its_class() -> None:
    text, wanted = _definitions_grep()
    block = crushed(text, "Where is the request method of Session defined?")
    assert wanted in block.render().split("\n")
    assert wanted in [block.document.units[i] for i in block.pinned]


def definitions_grep() -> str:
    """`grep -rn` of class and def lines over a package: one class with 30 methods among 600 hits."""
    lines = []
    for module in range(12):
        path = f"pkg/mod{module:02d}.py"
        for cls in range(5):
            number = cls * 100
            lines.append(f"{path}:{number + 1}:class Thing{module}x{cls}:")
            lines.extend(f"{path}:{number + 3 + m}:    def op_{m}(self):" for m in range(8))
    path = "pkg/core.py"
    lines.append(f"{path}:1000:class Session(Base):")
    lines.extend(f"{path}:{1010 + 10 * m}:    def handle_{m}(self, value):" for m in range(30))
    lines.append(f"{path}:1400:def session_factory():")
    return "\n".join(lines) + "\n"


def test_every_method_of_the_class_a_request_asks_the_methods_of_survives_the_pipeline() -> None:
    text = definitions_grep()
    store = MemoryStore()
    messages = openai_tool_turn(text, "What methods does the Session class define?")
    output = compress(messages, model="gpt-4o", store=store).messages[3]["content"]
    kept = set(output.split("\n"))
    wanted = [line for line in text.split("\n") if line.startswith("pkg/core.py:") and "handle_" in line]
    assert len(wanted) == 30
    assert all(line in kept for line in wanted)
    assert "pkg/core.py:1000:class Session(Base):" in kept
    assert count_tokens(output) < 0.5 * count_tokens(text)
    for marker in find_markers(output):
        assert retrieve(marker.hash, store) == text


def context_definitions_grep(methods: int = 30) -> str:
    """`grep -rn -A2 -E '^\\s*(class|def) '` over a package: each hit with two context lines (a
    docstring, then a blank line), `--` between groups; one class with `methods` methods among
    600 hits."""
    groups = []
    for module in range(12):
        path = f"pkg/mod{module:02d}.py"
        for cls in range(5):
            number = cls * 100
            groups.append(f"{path}:{number + 1}:class Thing{module}x{cls}:\n{path}-{number + 2}-    pass")
            for m in range(8):
                at = number + 3 + 10 * m
                groups.append(
                    f'{path}:{at}:    def op_{m}(self):\n{path}-{at + 1}-        """Run op {m}."""\n'
                    f"{path}-{at + 2}-"
                )
    path = "pkg/core.py"
    groups.append(f'{path}:1000:class Session(Base):\n{path}-1001-    """A session."""\n{path}-1002-')
    for m in range(methods):
        at = 1010 + 10 * m
        groups.append(
            f"{path}:{at}:    def handle_{m}(self, value):\n{path}-{at + 1}-        return self.run({m})\n"
            f"{path}-{at + 2}-"
        )
    groups.append(f"{path}:9000:def session_factory():\n{path}-9001-    return Session()")
    return "\n--\n".join(groups) + "\n"


def _session_methods(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.startswith("pkg/core.py:") and "handle_" in line]


def test_every_method_of_a_class_survives_when_grep_shows_context_and_separators() -> None:
    text = context_definitions_grep()
    block = crushed(text, "What methods does the Session class define?")
    kept = set(block.render().split("\n"))
    assert len(_session_methods(text)) == 30
    assert all(line in kept for line in _session_methods(text))


def test_every_method_in_the_singular_asks_for_all_of_a_class_s_members() -> None:
    text = definitions_grep()
    block = crushed(text, "List every method of the Session class, with file and line.")
    kept = set(block.render().split("\n"))
    assert all(line in kept for line in _session_methods(text))


def test_a_class_s_hits_come_before_its_context_lines_under_the_members_cap() -> None:
    text = context_definitions_grep(methods=60)  # 61 hits and 122 context lines
    block = crushed(text, "What methods does the Session class define?", max_class_members=70)
    pinned = {block.document.units[i] for i in block.pinned}
    assert all(line in pinned for line in _session_methods(text))


def test_a_class_spelled_as_words_has_its_methods_kept() -> None:
    text = definitions_grep().replace("class Session(Base)", "class WorkingSet(Base)")
    block = crushed(text, "Which methods does the working set have? Lines too.")
    kept = set(block.render().split("\n"))
    assert "pkg/core.py:1000:class WorkingSet(Base):" in kept
    assert all(line in kept for line in _session_methods(text))


@pytest.mark.parametrize(
    "question",
    [
        "What does the Session class define?",
        "What's defined inside class Session?",
        "Show me Session's API, file and line.",
        "Which operations does Session provide?",
    ],
)
def test_a_request_for_what_a_class_defines_keeps_its_methods(question: str) -> None:
    text = definitions_grep()
    block = crushed(text, question)
    kept = set(block.render().split("\n"))
    assert all(line in kept for line in _session_methods(text))


def test_where_a_class_is_defined_asks_for_no_members() -> None:
    text = definitions_grep()
    block = crushed(text, "Where is Session defined?")
    assert not all(line in set(block.render().split("\n")) for line in _session_methods(text))
