"""score.v1 on a hand-built state: scores and pins from errors, traces, the request and tool arguments."""

from __future__ import annotations

import json
import re

import pytest

from headroom import samples
from headroom.content.base import Key
from headroom.stages.score import (
    Score,
    ScoreParams,
    phrase_pairs,
    query_phrases,
    query_terms,
    request_terms,
)
from headroom.words import is_common_word
from tests.helpers import labelled, make_state, openai_tool_turn, run_stage, tool_block
from tests.stages.crush.common import compressed
from tests.stages.crush.line_checks import fixture

RECORDS = [{"id": f"ord-{1000 + i}", "status": "ok", "region": ["eu", "us"][i % 2]} for i in range(100)]


def score(content: str, label: str, query: str = "show me the data", arguments: dict | None = None, **params):
    state = labelled(make_state(openai_tool_turn(content, query, arguments=arguments)), label)
    run_stage(Score(ScoreParams(**params)), state)
    return tool_block(state)


def test_every_unit_gets_a_score_and_positions_add_a_little() -> None:
    block = score(json.dumps(RECORDS), "json_array")
    assert block.scores is not None and len(block.scores) == 100
    assert block.scores[0] == pytest.approx(0.3)
    assert block.scores[1] == pytest.approx(0.15)
    assert block.scores[50] == 0.0
    assert block.scores[98] == pytest.approx(0.15)
    assert block.scores[99] == pytest.approx(0.3)
    assert block.pinned == set()


def test_error_records_score_high_and_are_pinned() -> None:
    records, failed = samples.json_records()
    index = records.index(failed)
    block = score(json.dumps(records), "json_array")
    assert block.scores is not None
    assert index in block.pinned
    assert max(range(len(records)), key=lambda i: block.scores[i]) == index


def test_pin_errors_false_scores_errors_but_does_not_pin_them() -> None:
    records, failed = samples.json_records()
    index = records.index(failed)
    block = score(json.dumps(records), "json_array", pin_errors=False)
    assert index not in block.pinned
    assert block.scores is not None and block.scores[index] >= 1.0


def test_a_rare_identifier_from_the_request_is_a_needle() -> None:
    block = score(json.dumps(RECORDS), "json_array", query="what happened to ord-1042?")
    assert block.pinned == {42}
    assert block.scores is not None and block.scores[42] == max(block.scores)


def test_pin_needles_false_keeps_relevance_but_pins_nothing() -> None:
    block = score(json.dumps(RECORDS), "json_array", query="what happened to ord-1042?", pin_needles=False)
    assert block.pinned == set()
    assert block.scores is not None and block.scores[42] == max(block.scores)


def test_an_identifier_in_many_units_is_not_a_needle() -> None:
    # "ord-10" prefixes every record: relevant to all, so it picks out nothing.
    block = score(json.dumps(RECORDS), "json_array", query="list region-eu orders")
    assert block.pinned == set()


def test_tool_arguments_pin_only_what_few_units_hold() -> None:
    # Arguments are often filters many records match (a date, a limit): a term only they hold pins
    # in at most argument_needle_max_share of the units.
    content = json.dumps(RECORDS)
    with_args = score(content, "json_array", arguments={"order": "ord-1077"})
    assert with_args.pinned == {77}
    assert with_args.scores is not None and with_args.scores[77] == max(with_args.scores)
    without = score(content, "json_array", arguments={"order": "ord-1077"}, use_tool_arguments=False)
    assert without.scores is not None and without.scores[77] == 0.0 and without.pinned == set()


def test_a_filter_value_many_units_match_pins_nothing() -> None:
    days = [f"2026-{9 + i % 50 // 30:02d}-{1 + i % 50 % 30:02d}" for i in range(300)]
    records = [{"id": f"ord-{1000 + i}", "created": f"{day}T08:00:00Z"} for i, day in enumerate(days)]
    same_day = {i for i, day in enumerate(days) if day == "2026-09-01"}
    assert len(same_day) == 6  # 2% of the records
    block = score(json.dumps(records), "json_array", arguments={"since": "2026-09-01", "limit": 300})
    assert block.pinned == set()  # a term only the arguments hold pins in at most 1% of the units
    asked = score(json.dumps(records), "json_array", query="Which orders were created on 2026-09-01?")
    assert asked.pinned == same_day  # the user's own identifier: in at most 2%


def test_a_number_must_stand_alone_to_match() -> None:
    values = [{"id": i, "latency": 1000 + i} for i in range(100)]
    values[7]["latency"] = 10429  # contains "1042", but not as a number of its own
    block = score(json.dumps(values), "json_array", query="which call took 1042 ms?")
    assert block.pinned == {42}


def test_stack_trace_first_and_last_frames_and_error_lines_are_pinned() -> None:
    text, facts = samples.application_log()
    block = score(text, "log")
    lines = text.split("\n")
    pinned_lines = {lines[i] for i in block.pinned}
    for frame in facts["trace_first_frames"] + facts["trace_last_frames"]:
        assert frame in pinned_lines
    assert any("ERROR" in line for line in pinned_lines)


def test_request_id_in_the_question_pins_its_log_lines() -> None:
    text, facts = samples.application_log()
    block = score(text, "log", query=f"what happened to request {facts['request_id']}?")
    lines = text.split("\n")
    with_id = {i for i, line in enumerate(lines) if facts["request_id"] in line}
    assert len(with_id) == 2
    assert with_id <= block.pinned


def test_weights_scale_their_signal() -> None:
    records, failed = samples.json_records()
    index = records.index(failed)
    plain = score(json.dumps(records), "json_array")
    double = score(json.dumps(records), "json_array", error_weight=2.0)
    assert plain.scores is not None and double.scores is not None
    assert double.scores[index] - plain.scores[index] == pytest.approx(1.0)


def test_blocks_without_a_document_are_not_scored() -> None:
    block = score("just some prose " * 100, "prose")
    assert block.scores is None


def test_query_terms_drop_stopwords_and_mark_identifiers() -> None:
    terms = query_terms(
        "Why did order ord-10187 fail? Show the error log for checkoutService in /srv/orders.py"
    )
    assert terms["ord-10187"] is True
    assert terms["srv/orders.py"] is True
    assert terms["orders"] is False  # a part of a path is a word, not an identifier
    assert terms["checkoutservice"] is True
    assert terms["order"] is False
    for stopword in ("why", "the", "show", "error", "log"):
        assert stopword not in terms


def test_a_plain_word_of_the_request_also_finds_its_stem() -> None:
    from headroom.stages.score import query_terms

    terms = query_terms("When was nodejs first installed, and which packages were upgraded?")
    assert {"installed", "install", "upgraded", "upgrad", "packages", "packag"} <= set(terms)
    assert "first" in terms and "firs" not in terms  # short words are left whole


def test_relevance_is_kept_apart_from_errors_and_position() -> None:
    records, failed = samples.json_records()
    block = score(json.dumps(records), "json_array", query="what happened to ord-10042?")
    assert block.relevance is not None and len(block.relevance) == len(records)
    assert block.relevance[42] == 1.0  # the record the request names
    assert block.relevance[records.index(failed)] == 0.0  # an error, but not what was asked about
    assert block.relevance[0] == 0.0  # position adds to the score, not to relevance


def test_json_tool_arguments_count_by_their_values_not_their_keys() -> None:
    terms = query_terms('{"command": "dmesg", "description": "kernel ring buffer", "timeout": 30}')
    assert {"dmesg", "kernel", "ring", "buffer"} <= set(terms)
    assert "command" not in terms and "description" not in terms and "timeout" not in terms


def test_an_argument_key_does_not_make_lines_relevant() -> None:
    lines = [f"[    0.{i:06d}] probe device {i}" for i in range(60)]
    lines[10] = "[    0.000010] Command line: console=ttyS0 quiet"
    lines[40] = "[    0.000040] clocksource: Switched to clocksource tsc"
    block = score("\n".join(lines), "log", query="which clocksource?", arguments={"command": "dmesg"})
    assert block.relevance is not None
    assert block.relevance[40] == 1.0
    assert block.relevance[10] == 0.0


def test_a_short_word_of_the_request_matches_only_where_a_word_starts() -> None:
    lines = [f"step {i} done" for i in range(60)]
    lines[5] = "system rebooted by watchdog"
    lines[20] = "booting kernel"
    lines[30] = "pending jobs: 3"
    lines[45] = "end of boot sequence"
    block = score("\n".join(lines), "log", query="when did the boot end?")
    assert block.relevance is not None
    assert block.relevance[20] > 0 and block.relevance[45] == 1.0
    assert block.relevance[5] == 0.0 and block.relevance[30] == 0.0


def test_words_side_by_side_in_the_request_find_the_identifier_that_joins_them() -> None:
    lines = [f"pkg/mod{i}.py:{i}:    value = compute({i})" for i in range(60)]
    lines[7] = "pkg/config.py:12:DEFAULT_TIMEOUT_CONFIG = Timeout(timeout=5.0)"
    lines[30] = "pkg/client.py:40:    # the default is read from the timeout setting"
    block = score("\n".join(lines), "search", query="where is the default timeout defined?")
    assert block.relevance is not None
    assert block.relevance[7] == 1.0
    assert 0 < block.relevance[30] < block.relevance[7]


def test_query_phrases_pair_words_written_apart_but_not_a_joined_compound() -> None:
    question = "Where is httpx's default timeout defined? How does Floyd-Warshall pick?"
    pairs = phrase_pairs(question)
    assert ("default", "timeout") in pairs
    (pattern,) = (p for p, pair in zip(query_phrases(question), pairs, strict=True) if pair[0] == "default")
    for spelling in ("default timeout", "default_timeout", "defaulttimeout", "default-timeout"):
        assert re.search(pattern, spelling)
    assert not re.search(pattern, "default.timeout")  # an attribute of `default`, not one name
    assert not any(first == "floyd" for first, _ in pairs)  # already one term: floyd-warshall
    assert not any(first == "the" or second == "is" for first, second in pairs)  # stopwords pair nothing


def test_a_phrase_also_finds_its_first_word_shortened_to_an_initial_and_a_hyphen() -> None:
    lines = [f"    rule {i}: keywords" for i in range(60)]
    lines[10] = "    # non-raw f-strings and t-strings"
    lines[20] = "    # f-strings only"
    lines[30] = "    # the format-strings table"
    lines[40] = "    # what-strings are"
    block = score("\n".join(lines), "code", query="Are template strings highlighted?")
    assert block.relevance is not None
    assert block.relevance[10] == 1.0
    # "strings" alone scores; the short form adds only where the initial starts a word
    assert block.relevance[10] > block.relevance[20] == block.relevance[40] > 0


def test_a_word_the_request_quotes_as_code_is_an_identifier() -> None:
    terms = query_terms("Is `install` deduped under the tree?")
    assert terms["install"] is True  # a common word, but quoted as code
    assert terms["tree"] is False


def test_common_words_are_not_identifiers_and_names_are() -> None:
    terms = query_terms("When were openssl and gpgconf installed, and which versions did the packages get?")
    assert terms["openssl"] is True and terms["gpgconf"] is True
    for word in ("installed", "versions", "packages"):
        assert terms[word] is False


# Distinctive terms of the request pin their units, on real material ----------------------------

DPKG = fixture("dpkg.log")  # the first 1,000 lines of this machine's /var/log/dpkg.log


def _install_lines(log: str, name: str) -> list[str]:
    return [
        line
        for line in log.split("\n")
        if re.search(rf" (?:install|status installed) {re.escape(name)}:", line)
    ]


def test_every_package_a_question_names_keeps_its_install_and_status_lines_unless_a_common_word() -> None:
    # Rule: for each package installed in the log (taken two at a time, in order), its `install` and
    # `status installed` lines. Names that are common words (`file`, `less`, `make`) are left out.
    installs = re.findall(r"^\S+ \S+ install (\S+?):", DPKG, re.MULTILINE)
    names = [name for name in dict.fromkeys(installs) if not is_common_word(name)]
    lines = DPKG.split("\n")
    for first, second in zip(names[::2], names[1::2], strict=False):
        wanted = {lines.index(line) for name in (first, second) for line in _install_lines(DPKG, name)}
        query = f"When were {first} and {second} installed, and which versions?"
        block = score(DPKG, "log", query=query, arguments={"command": "cat /var/log/dpkg.log"})
        assert wanted <= block.pinned, (first, second)


def test_a_package_named_inside_other_names_keeps_its_lines_end_to_end() -> None:
    # Rule: the installed package whose name is part of the most other installed packages' names
    # (`python3`, in `python3-minimal`, `libpython3.11`, ...), and the package installed after it.
    names = list(dict.fromkeys(re.findall(r"^\S+ \S+ install (\S+?):", DPKG, re.MULTILINE)))
    first = max(
        names, key=lambda name: (sum(name in other and name != other for other in names), -names.index(name))
    )
    second = names[names.index(first) + 1]
    wanted = _install_lines(DPKG, first) + _install_lines(DPKG, second)
    query = f"When were {first} and {second} installed, and which versions?"
    output, _ = compressed(DPKG, query, arguments={"command": "cat /var/log/dpkg.log"})
    assert all(line in output.split("\n") for line in wanted), (first, second)


def test_a_question_in_common_words_pins_nothing() -> None:
    block = score(
        DPKG, "log", query="Which packages were installed first, and were any of them upgraded later?"
    )
    assert block.pinned == set()


GREP = fixture("grep_class_load_save.txt")  # grep -rnE "^\s*class |def (load|save)\(" over site-packages


def _defined_in(lines: list[str], owner: str, member: str) -> list[int]:
    """Rule: the `def member(` hits whose nearest class hit above (same file, less indented) is `owner`."""
    found: list[int] = []
    classes: dict[str, list[tuple[int, str]]] = {}
    for index, line in enumerate(lines):
        path, _, code = line.partition(":")
        code = code.partition(":")[2]
        indent = len(code) - len(code.lstrip())
        stack = [entry for entry in classes.get(path, []) if entry[0] < indent]
        header = re.match(r"\s*class (\w+)", code)
        if header:
            classes[path] = [*stack, (indent, header[1])]
        elif re.match(rf"\s*def {member}\(", code) and stack and stack[-1][1] == owner:
            found.append(index)
    return found


def test_class_dot_method_pins_the_method_defined_in_that_class() -> None:
    lines = GREP.split("\n")
    query = "Where are `InMemoryExampleDatabase.save`, `PrefixLoader.load` and `EnvProvider.load` defined?"
    wanted = [
        i
        for owner, member in (
            ("InMemoryExampleDatabase", "save"),
            ("PrefixLoader", "load"),
            ("EnvProvider", "load"),
        )
        for i in _defined_in(lines, owner, member)
    ]
    assert len(wanted) == 3
    arguments = {
        "command": 'grep -rnE "^\\s*class |def (load|save)\\(" --include=*.py hypothesis jinja2 botocore'
    }
    block = score(GREP, "search", query=query, arguments=arguments)
    assert set(wanted) <= block.pinned
    assert len(block.pinned) < 0.05 * len(lines)  # the class lines, the three methods, little else
    output, _ = compressed(GREP, query, arguments=arguments)
    assert all(lines[i] in output.split("\n") for i in wanted)


def test_class_slash_methods_name_each_method_of_the_class() -> None:
    terms = {term.text: term for term in request_terms("Where are AbstractDataset.load/save defined?")}
    for text in (
        "abstractdataset.load/save",
        "abstractdataset",
        "abstractdataset.load",
        "abstractdataset.save",
    ):
        assert terms[text].pins, text
    assert (
        terms["abstractdataset.save"].owner == "abstractdataset"
        and terms["abstractdataset.save"].member == "save"
    )
    assert not terms["load"].pins and not terms["save"].pins  # common words: they never pin


def test_a_plain_word_naming_the_file_read_pins_nothing_but_a_rare_name_does() -> None:
    lines = [f"2026-11-27 08:00:{i % 60:02d} status installed pkg{i}:amd64 1.{i}" for i in range(400)]
    lines[17] = "2026-11-27 08:00:17 status installed aptitude:amd64 0.8"
    lines[18] = "2026-11-27 08:00:18 apt selected for removal"
    text = "\n".join(lines)
    block = score(
        text, "log", query="When did apt and aptitude change?", arguments={"path": "/var/log/apt/term.log"}
    )
    assert block.pinned == {17}  # `aptitude` names a package; `apt` only the directory read


def test_a_quoted_phrase_is_one_term() -> None:
    lines = [f"job {i}: connection to the broker ok" for i in range(300)]
    lines[211] = "job 211: connection reset by peer"
    block = score("\n".join(lines), "log", query='Which job says "connection reset by peer"?')
    assert 211 in block.pinned


def test_needles_together_pin_at_most_needle_max_total_units_the_rarest_first() -> None:
    rows = [{"id": f"ord-{10000 + i}", "sku": f"sku-{i % 40}"} for i in range(2000)]
    query = "What about " + ", ".join(f"sku-{k}" for k in range(8)) + " and ord-10001?"
    block = score(json.dumps(rows), "json_array", query=query, needle_max_total=120)
    assert 1 in block.pinned  # the rarest term (one record) first
    assert len(block.pinned) <= 120


def test_error_units_are_all_pinned_while_few_else_the_first_and_last_of_each_kind() -> None:
    lines = [f"2026-11-27T08:00:{i % 60:02d}Z INFO tick {i}" for i in range(1000)]
    for i in (100, 400, 700):
        lines[i] = f"2026-11-27T08:00:{i % 60:02d}Z ERROR charge {i} declined"
    few = score("\n".join(lines), "log")
    assert {100, 400, 700} <= few.pinned
    for i in range(0, 1000, 5):
        lines[i] = f"2026-11-27T08:00:{i % 60:02d}Z ERROR charge {i} declined"
    many = score("\n".join(lines), "log")  # 200 errors of one kind in 1,000 lines: too many
    errors = [i for i in range(1000) if "ERROR" in lines[i]]
    assert many.pinned & set(errors) == {errors[0], errors[-1]}


def test_class_dot_method_finds_the_method_in_the_file_named_for_the_class() -> None:
    # `grep -rnE "def (load|save)\(" ...` shows no class lines: the file's name tells whose they are.
    lines = [line for line in GREP.split("\n") if re.search(r":\s*def (load|save)\(", line)]
    wanted = {
        i for i, line in enumerate(lines) if line.startswith("jinja2/loaders.py:") and "def load(" in line
    }
    assert len(wanted) == 4
    block = score("\n".join(lines), "search", query="Where is `Loader.load` defined?")
    assert block.pinned == wanted


# keys the request names --------------------------------------------------------------------------


def api_model(members_each: tuple[str, ...], shapes: int = 12, mention: str = "") -> dict:
    """A service model's shape map: request shapes whose members are documented at length; each
    shape's documentation mentions `mention`, so its text is found in many units."""
    model: dict[str, object] = {}
    for n in range(shapes):
        members = {
            m: {"shape": "String", "documentation": f"<p>{m} of action {n}. " + "x " * 400}
            for m in members_each
        }
        model[f"Action{n:02d}Request"] = {"documentation": f"<p>Uses {mention}.</p>", "members": members}
    return {"version": "2.0", "shapes": model}


def member(documentation: str) -> dict:
    return {"shape": "Integer", "documentation": documentation * 400}


def pinned_paths(block) -> set[str]:
    """The pinned units' JSON paths, the document's anchors (the root's own fields) aside."""
    document = block.document
    paths = (document.unit_nodes[i].path for i in block.pinned - document.anchors())
    return {".".join(str(key) for key in path) for path in paths}


def test_a_member_the_request_names_is_pinned_where_its_key_stands() -> None:
    """`DelaySeconds` is in the text of every shape: as a needle too common; as a key, in two."""
    model = api_model(("QueueUrl", "MaxResults"), mention="DelaySeconds")
    model["shapes"]["Action03Request"]["members"]["DelaySeconds"] = member("y ")
    model["shapes"]["Action07Request"]["members"]["DelaySeconds"] = member("z ")
    block = score(json.dumps(model), "json_object", query="What range does DelaySeconds accept?")
    assert pinned_paths(block) == {
        "shapes.Action03Request.members.DelaySeconds",
        "shapes.Action07Request.members.DelaySeconds",
    }


def test_words_side_by_side_and_inflections_name_keys() -> None:
    model = api_model(("QueueUrl", "MessageSystemAttributes", "MaxResults"))
    definitions: dict[str, object] = {
        f"policy_{n}": {"code": f"Code{n}", "doc": "p " * 200} for n in range(8)
    }
    definitions["throttled_exception"] = {"code": "ThrottledException", "doc": "t " * 200}
    definitions["throttling"] = {"code": "Throttling", "doc": "t " * 200}
    model["definitions"] = definitions
    query = "Which message system attribute is there, and what counts as throttling?"
    paths = pinned_paths(score(json.dumps(model), "json_object", query=query))
    assert paths == {"definitions.throttled_exception", "definitions.throttling"}
    # (MessageSystemAttributes is a member of all 12 shapes: too common a name to pin alone.)


def test_a_common_member_pins_only_under_another_name_of_the_request() -> None:
    model = api_model(("QueueUrl", "GrantTokens", "MaxResults"))
    model["shapes"]["EncryptRequest"] = {"members": {"GrantTokens": member("g "), "KeyId": member("k ")}}
    block = score(json.dumps(model), "json_object", query="For Encrypt, what are GrantTokens?")
    assert pinned_paths(block) == {"shapes.EncryptRequest.members.GrantTokens"}


def test_a_word_naming_most_members_of_a_map_pins_none_of_them() -> None:
    members = {f"Message{part}": member("m ") for part in ("Body", "Id", "Group", "Size")}
    members["QueueUrl"] = member("q ")
    model = {"shapes": {"SendRequest": {"type": "structure", "members": members}}}
    block = score(json.dumps(model), "json_object", query="What does the message hold?")
    assert pinned_paths(block) == set()


def test_the_longest_run_of_words_naming_a_key_is_the_name() -> None:
    from headroom.stages.score import _key_names, _spellings

    keys = [
        Key(("shapes", name), 4)
        for name in ("MessageSystemAttributes", "Message", "ServiceErrorCode", "QueueUrl")
    ]
    query = "Which message system attribute is there, and which service error codes?"
    spelled = {spelling for key in keys for spelling in _spellings(key.own)}
    names = _key_names(query, request_terms(query), spelled)
    assert names == ["messagesystemattribute", "serviceerrorcodes"]  # not also "message", "service"


def test_the_parts_of_an_identifier_are_no_names_of_their_own() -> None:
    from headroom.stages.score import _key_names, _spellings

    keys = [
        Key(("dependencies", name), 40) for name in ("fs-minipass", "make-fetch-happen", "minipass-fetch")
    ]
    query = "Which version of minipass-fetch does this bundle, and what is botocore's retry?"
    spelled = {spelling for key in keys for spelling in _spellings(key.own)}
    assert _key_names(query, request_terms(query), spelled) == ["minipassfetch"]


def test_runs_of_words_end_at_punctuation_and_never_at_a_short_or_stop_word() -> None:
    from headroom.stages.score import _word_runs

    def runs(query: str) -> set[str]:
        return {" ".join(word for _, word in run) for run in _word_runs(query)}

    found = runs("Which retry handler does it use by default?")
    assert {"retry", "retry handler", "handler", "default"} <= found
    assert not any(
        run.split()[0] in ("it", "by", "does") or run.split()[-1] in ("it", "by", "use") for run in found
    )
    assert "handler policy" not in runs("Which retry handler, policy and mode?")


@pytest.mark.parametrize(
    ("command", "words", "programs"),
    [
        (
            "git diff --stat HEAD~1 HEAD -- pygments/lexers/python.py && git diff HEAD~1 HEAD",
            "git diff HEAD~1 HEAD pygments/lexers/python.py git diff HEAD~1 HEAD",
            ["git", "git"],
        ),
        ("git log --author=ada -Sparse_impl -p -- src", "git log ada parse_impl src", ["git"]),
        ("grep -rn 'def load' src/ | head -50", "grep def load src/ head", ["grep", "head"]),
        ("sudo journalctl -u nginx --since=today", "sudo journalctl nginx today", ["sudo", "journalctl"]),
        ("for f in *.pem; do openssl x509 -in $f; done", "f in *.pem openssl x509 $f", ["openssl"]),
        ("if grep -q x f; then cat f; fi", "grep x f cat f", ["grep", "cat"]),
        ("echo 'unclosed", "echo 'unclosed", []),
    ],
)
def test_a_shell_command_loses_its_options_names_and_says_which_programs_it_runs(
    command: str, words: str, programs: list[str]
) -> None:
    from headroom.stages.score import command_words

    assert command_words(command) == (words, programs)


def test_a_commands_options_are_no_terms_and_its_programs_pin_nothing() -> None:
    terms = {term.text: term for term in request_terms("", '{"command": "git diff --stat -- setup.py"}')}
    assert "stat" not in terms and "setup.py" in terms
    assert terms["git"].derived and not terms["git"].pins
    lines = [f"        return value_{i}" for i in range(60)]
    lines[12] = "    @staticmethod"
    lines[33] = "    url = 'https://github.com/pallets/click'"
    block = score("\n".join(lines), "code", arguments={"command": "git diff --stat -- setup.py"})
    assert not block.pinned & {12, 33}


def test_a_short_word_in_capitals_in_a_lower_case_sentence_is_a_code() -> None:
    terms = {term.text: term for term in request_terms("Which zones are listed for DE, AT, IT and NO?")}
    assert {"de", "at", "it", "no"} <= set(terms)
    assert all(terms[code].pins for code in ("at", "it", "no"))
    assert "it" not in query_terms("Is it down? Check it at once.")  # the common words, in lower case
    assert "it" not in query_terms("IS IT DOWN AT ALL?")  # a shouted sentence names no code


@pytest.mark.parametrize(
    ("question", "pairs"),
    [
        ("Where is the request method of Http?", {("http", "request")}),
        (
            "Where do the send methods of Client and AsyncClient live?",
            {("client", "send"), ("asyncclient", "send")},
        ),
        ("Where is Session's request method?", {("session", "request")}),
        ("What does FutureTask's get() throw?", {("futuretask", "get")}),
        ("Where is the `close()` function in Response?", {("response", "close")}),
        ("What is the method of the request?", set()),  # no owner written as a class
    ],
)
def test_a_method_named_in_words_is_a_class_member_term(question: str, pairs: set[tuple[str, str]]) -> None:
    found = {(term.owner, term.member) for term in request_terms(question) if term.owner}
    assert found == pairs
