"""score.v1: a score for every unit, and the units that must survive (pinned).

A unit's score adds up
- error and warning signals (an ERROR line, a record whose status is "failed";
  the vocabulary is `headroom.content.signals`),
- anomaly signals (a numeric outlier, a rare category, a record of another shape),
- relevance to the request that led to the output (the last user turn before it,
  never a later one, so the score does not change as the conversation grows)
  and to the values of the arguments of the tool call that produced it; each
  term is weighted by how rare it is in this output,
- position (first and last units).

Pinned (no later cut drops them, the budget included):
- the document's anchors (a stack trace's first and last frames and exception lines);
- the units carrying an error signal: all of them while they are few
  (`signals.signal_limit`), else the first and last of each kind of unit;
- the units holding a distinctive term of the request (a "needle"). Terms are
  identifiers, package and host names, IDs, hashes, versions, paths, quoted
  strings, snake_case and camelCase compounds, and `Class.method`, also as its
  parts (`AbstractDataset.load/save`: `AbstractDataset`, `load`, `save`,
  `AbstractDataset.load`, `AbstractDataset.save`). `Class.method` is found where
  a unit names the method inside the class, as the document tells
  (`Document.scopes`: a search hit's file and class, a code line's definition).
  A term is distinctive when few units hold it: at most `needle_max_share` of
  them for a term written as a name (digits, separators, inner capitals,
  quotes) in the user's words, `plain_needle_max_share` for a plain word that
  is no common word and for a term only the tool arguments hold, and never more
  than `needle_max_units`. A term in more units still pins where it stands as a
  whole name (`python3` in `python3:amd64`), if that is as rare as a plain word
  must be. All needles together pin at most `needle_max_total` units, the
  rarest terms first. Common words (`headroom.words`) never pin, nor do stems,
  the parts of an argument's term, a plain word naming the file the call read, or
  a term in every group of the document (every commit of `git log -- path`);
- in a document whose units are filed under keys (a JSON object's paths,
  `Document.keys`), the members of a map whose keys the request names, by a
  term (a common word too: a key is a name) or by words written side by side
  ("message system attribute" names
  `MessageSystemAttributes`, `throttling` names `throttled_exception`), while
  they are a minority of their map; a name common to many maps pins only the
  members filed under another name of the request (see "Keys" below). A term in
  a unit's own key also counts twice for its relevance.
Hook biases do not change scores; selection stages scale how much they keep by them.
"""

from __future__ import annotations

import functools
import json
import math
import re
import shlex
from bisect import bisect_right
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

from headroom.content.base import Document, Key, Scope, name_letters
from headroom.content.signals import kept_signals, line_starts, lines_holding, signal_limit, whole_word
from headroom.json_text import too_deep
from headroom.pipeline.params import StageParams, param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState, Stage
from headroom.words import is_common_word

_TERM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/@#+-]*[A-Za-z0-9_+]|\d{3,}")
_PART_SPLIT = re.compile(r"[/.:@#]")
# Text the request quotes: `code`, "a string", 'a string', “a string” (not an apostrophe's 's).
_QUOTED = re.compile(r"`([^`\n]+)`|\"([^\"\n]{2,80})\"|(?<![\w])'([^'\n]{2,80})'(?![\w])|“([^”\n]{2,80})”")
# `Class.method`: a dotted name whose owner is written with a capital (a class) or that is called.
_MEMBER = re.compile(r"(?P<owner>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)\.(?P<member>[A-Za-z_]\w*)$")
_STOPWORDS = frozenset(
    (
        "the and for with that this from what why how when where which who are was were has have had "
        "not but all any can could should would will into onto about there their them they then than "
        "you your our out get got did does done show tell find look see give need want please just only "
        "also some more most much many each every other true false null none json list item items line "
        "lines file files error errors log logs use used uses using"
    ).split()
)
MAX_TERMS = 48
# However short the block, a term may pin this many units (a method defined in a few classes).
NEEDLE_MIN_UNITS = 5
# A plain word this short is found only where a word starts: inside longer words it is noise.
SHORT_WORD = 4


@dataclass(frozen=True)
class Term:
    """A term of the request, lower-cased as units are searched.

    `identifier`: it names one thing (digits, separators or inner capitals, quoted, or no common word).
    `derived`: a stem or a path's part found from another term; it scores, never pins.
    `owner`, `member`: for `Class.method`, the class (letters and digits only) and the method.
    `written_as_name`: an identifier by its form or quoting, not only for being no common word.
    `asked`: in the user's own words, not only in the tool call's arguments.
    """

    text: str
    identifier: bool
    derived: bool = False
    owner: str | None = None
    member: str | None = None
    written_as_name: bool = False
    asked: bool = True

    @property
    def pins(self) -> bool:
        return self.identifier and not self.derived


def _is_identifier(term: str) -> bool:
    """A term that names one thing: it is written like a name (`_is_written_as_name`) or is no common word."""
    return _is_written_as_name(term) or (term.isalpha() and not is_common_word(term.lower()))


def _is_written_as_name(term: str) -> bool:
    """Digits, separators or inner capitals: `ord-10187`, `srv/orders.py`, `fooBar`, `DataCatalog`."""
    return (
        any(ch.isdigit() for ch in term)
        or any(ch in "_-/.:@#" for ch in term)
        or (term[:1].islower() and any(ch.isupper() for ch in term[1:]))
        or (term[:1].isupper() and any(ch.islower() for ch in term) and any(ch.isupper() for ch in term[1:]))
    )


_SUFFIXES = ("ing", "ed", "es", "s")


def _stem(word: str) -> str | None:
    """A plain word's stem, so "installed" also finds "install" (units are matched by substring)."""
    if not word.isalpha() or len(word) < 6:
        return None
    for suffix in _SUFFIXES:
        if word.lower().endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return None


def argument_values(text: str) -> str:
    """The values of a tool call's JSON arguments, one per line: their keys (`command`, `path`,
    `description`) name the tool's parameters, not what was asked for. A shell command loses its
    options' names (`--stat`, `-rn`; `--author=ada` keeps `ada`, see `command_words`). Other text is
    read as it is."""
    parsed = _json_arguments(text)
    if parsed is None:
        return text
    return "\n".join(_leaves(parsed))


def argument_programs(text: str) -> set[str]:
    """The programs a tool call's shell commands run (`git`, `grep`, `head`), lower-cased: they name
    the tool that made the output, not a part of it, so they score but never pin."""
    parsed = _json_arguments(text)
    programs: set[str] = set()
    for command in _commands(parsed) if parsed is not None else ():
        programs.update(word.lower() for word in command_words(command)[1])
    return programs


def _json_arguments(text: str) -> object | None:
    stripped = text.strip()
    if not stripped.startswith("{") or too_deep(stripped):
        return None
    try:
        parsed: object = json.loads(stripped)
    except ValueError:
        return None
    return parsed


# The argument keys whose value is a shell command line.
COMMAND_KEYS = frozenset({"command", "cmd", "script", "shell", "bash", "commandline", "command_line"})


def _leaves(value: object) -> Iterator[str]:
    for key, leaf in _keyed_leaves(value):
        if isinstance(leaf, str) and key.lower() in COMMAND_KEYS:
            yield command_words(leaf)[0]
        elif leaf is not None and not isinstance(leaf, bool):
            yield str(leaf)


def _commands(value: object) -> Iterator[str]:
    for key, leaf in _keyed_leaves(value):
        if isinstance(leaf, str) and key.lower() in COMMAND_KEYS:
            yield leaf


def _keyed_leaves(value: object, key: str = "") -> Iterator[tuple[str, object]]:
    """Every scalar of a JSON value with the key it sits under (a list's items under the list's)."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _keyed_leaves(item, str(name))
    elif isinstance(value, list):
        for item in value:
            yield from _keyed_leaves(item, key)
    else:
        yield key, value


# Where a new command starts in a shell line (and the shell's words after which one does), the
# shell's words that open something else (a loop's variable, a case's word), and the words that
# run the word after them.
_COMMAND_BREAKS = frozenset(
    {"|", "||", "&&", ";", "&", "(", ")", "$(", "`", "{", "}", "!"}
    | {"do", "then", "else", "elif", "if", "while", "until", "done", "fi", "esac"}
)
_SHELL_OPENERS = frozenset({"for", "case", "select", "function"})
_WRAPPERS = frozenset(
    {"sudo", "env", "time", "nice", "nohup", "xargs", "exec", "command", "timeout", "watch"}
)
_CLUSTER = re.compile(r"-[A-Za-z]{1,4}")  # `-rn`, `-la`: letters that are each an option


def command_words(command: str) -> tuple[str, list[str]]:
    """(the command line without its options' names, the programs it runs; it holds them too).
    `--name=value` keeps its value, `-Svalue` (an option letter with its value attached) keeps
    `value`; a cluster of option letters (`-rn`), a count (`-50`) and `--name` go, and so do the
    shell's own words (`if`, `for`, `do`, `done`). The program is a command's first word (after
    `sudo`, `env`, `xargs` and the like, and after `|`, `&&`, `;`, `do`, `then`). A line the shell
    could not split (an unclosed quote) is read as it is, with no program."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return command, []
    words: list[str] = []
    programs: list[str] = []
    expect_program = True
    for token in tokens:
        if token in _COMMAND_BREAKS or set(token) <= set("|&;()<>"):
            expect_program = True
            continue
        if expect_program and token in _SHELL_OPENERS:
            expect_program = False
            continue
        if expect_program and "=" in token and not token.startswith("-"):
            words.append(token.split("=", 1)[1])  # FOO=bar before the program
            continue
        if token.startswith("-") and len(token) > 1:
            if token.startswith("--"):
                value = token.split("=", 1)[1] if "=" in token else ""
            else:
                value = "" if _CLUSTER.fullmatch(token) or token[1:].isdigit() else token[2:]
            if value:
                words.append(value)
            continue
        if expect_program:
            program = token.rsplit("/", 1)[-1]
            programs.append(program)
            expect_program = program in _WRAPPERS
        words.append(token)
    return " ".join(words), programs


def query_terms(*texts: str) -> dict[str, bool]:
    """Lower-cased terms from the request and tool arguments -> whether each is an identifier.
    JSON arguments count by their values only (see `argument_values`)."""
    return {term.text: term.identifier for term in request_terms(*texts)}


def request_terms(query: str, *arguments: str) -> list[Term]:
    """The terms of the user's request and of tool-call arguments (JSON: their values), in order,
    each once, at most MAX_TERMS."""
    return list(_request_terms(query, arguments))


# Every block of a request, and several crushers for each, read the same request's terms: read once.
# A pure function of the texts (Term is frozen), so a cached answer is the answer.
@functools.lru_cache(maxsize=256)
def _request_terms(query: str, arguments: tuple[str, ...]) -> tuple[Term, ...]:
    terms: dict[str, Term] = {}
    for text, asked in ((query, True), *((argument, False) for argument in arguments)):
        programs = frozenset() if asked else frozenset(argument_programs(text))
        for term in _terms_of(argument_values(text), asked, programs):
            held = terms.get(term.text)
            if held is None:
                if len(terms) >= MAX_TERMS:
                    return tuple(terms.values())
                terms[term.text] = term
            elif (term.pins, term.asked) > (held.pins, held.asked):
                terms[term.text] = term
    return tuple(terms.values())


def _terms_of(text: str, asked: bool, programs: frozenset[str] = frozenset()) -> Iterator[Term]:
    quoted_words: set[str] = set()
    # What the user quotes names one thing; a command's shell quoting says nothing of the kind.
    for match in _QUOTED.finditer(text) if asked else ():
        span = next(group for group in match.groups() if group is not None).strip()
        words = _TERM.findall(span)
        quoted_words.update(word.lower() for word in words)
        if len(words) > 1 and len(span) >= 3:
            yield Term(span.lower(), identifier=True, written_as_name=True, asked=asked)  # quoted, whole
    if asked:
        yield from _members_in_words(text)
    codes = asked and _mostly_lower_case(text)
    for match in _TERM.findall(text):
        for candidate, kind in _candidates(match):
            lowered = candidate.lower()
            code = codes and kind == "whole" and bool(_CAPITALS_CODE.fullmatch(candidate))
            if not code and (
                lowered in _STOPWORDS or (lowered.isdigit() and len(lowered) < 3) or not _long_enough(lowered)
            ):
                continue
            written_as_name = _is_written_as_name(candidate) or lowered in quoted_words or code
            # A stem (`chang` of "changed") is a search pattern, not a word: it names nothing.
            identifier = kind != "stem" and (written_as_name or _is_identifier(candidate))
            owner, member = _owner_and_member(candidate, text)
            # A stem only widens the search. A part of an argument (the directory or the name of the
            # file read) names what was read, not one of its units, and so does the program a
            # command runs (`git`, `grep`); a part of the user's own term (`AbstractDataset` in
            # `AbstractDataset.load`) is a term of its own.
            derived = kind == "stem" or (kind == "part" and not asked) or lowered in programs
            yield Term(lowered, identifier, derived, owner, member, written_as_name, asked)


# A short word in capitals inside a sentence in lower case is a code or an acronym (`AT`, `IT` and
# `NO` in "the zones of DE, AT and NO"), not the common word it spells.
_CAPITALS_CODE = re.compile(r"[A-Z]{2,3}")


def _mostly_lower_case(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.islower() for ch in letters) > len(letters) / 2


def _long_enough(word: str) -> bool:
    """Three characters or more; or two letters that are no common word (`jq`, `bc`: a tool's name)."""
    return len(word) >= 3 or (len(word) == 2 and word.isalpha() and not is_common_word(word))


def _candidates(match: str) -> list[tuple[str, str]]:
    """A term as written ("whole"), its parts (split at `/ . : @ #`; `Class.a/b` also as `Class.a`
    and `Class.b`) and the stems of its plain words, each with its kind."""
    found: list[tuple[str, str]] = [(match, "whole")]
    if _PART_SPLIT.search(match):
        found.extend((part, "part") for part in _PART_SPLIT.split(match))
        found.extend((alternative, "part") for alternative in _alternatives(match))
    found.extend((stem, "stem") for candidate, _ in list(found) if (stem := _stem(candidate)))
    return found


def _alternatives(match: str) -> list[str]:
    """`AbstractDataset.load/save` -> AbstractDataset.load, AbstractDataset.save (a path, whose
    first part has no dot, has none)."""
    first, *others = match.split("/")
    if not others or "." not in first or any("." in other or not other for other in others):
        return []
    owner = first.rsplit(".", 1)[0]
    return [first, *(f"{owner}.{other}" for other in others)]


# `Class.method` written in words: "the request method of Http", "the send methods of Client and
# AsyncClient", "Session's request method". The owner is written with a capital, as classes are.
_OWNER = r"`?[A-Z]\w*`?"
_MEMBER_OF = re.compile(
    r"\b`?(?P<member>[A-Za-z_]\w*)(?:\(\))?`?\s+(?:method|function|property|attribute)s?\s+(?:of|on|in)\s+"
    rf"(?:the\s+)?(?P<owners>{_OWNER}(?:\s*(?:,|\band\b|\bor\b)\s*(?:the\s+)?{_OWNER})*)"
)
_OWNERS_MEMBER = re.compile(
    rf"(?P<owner>{_OWNER})'s\s+`?(?P<member>[A-Za-z_]\w*)(?:\(\))?`?\s+(?:method|function|property|attribute)\b"
)
# "FutureTask's get()": a possessive owner and a called member, without the word "method".
_OWNERS_CALL = re.compile(rf"(?P<owner>{_OWNER})'s\s+`?(?P<member>[A-Za-z_]\w*)\(\)")
_MEMBER_WORDS = frozenset("the a an this that its own same".split())


def members_in_words(text: str) -> list[tuple[str, str]]:
    """(class, member) as written, for the members a request names in words: "the get method of
    FutureTask", "Session's request method", "FutureTask's get()" (see _MEMBER_OF)."""
    pairs: list[tuple[str, str]] = []
    for match in _MEMBER_OF.finditer(text):
        owners = re.findall(r"[A-Z]\w*", match["owners"])
        pairs.extend((owner, match["member"]) for owner in owners)
    for pattern in (_OWNERS_MEMBER, _OWNERS_CALL):
        pairs.extend((match["owner"].strip("`"), match["member"]) for match in pattern.finditer(text))
    found = [
        (owner, member) for owner, member in pairs if member.lower() not in _MEMBER_WORDS and len(owner) >= 3
    ]
    return list(dict.fromkeys(found))


def _members_in_words(text: str) -> Iterator[Term]:
    """`Class.method` terms for the members a request names in words (`members_in_words`)."""
    for owner, member in members_in_words(text):
        whole = f"{owner}.{member}".lower()
        yield Term(whole, True, owner=name_letters(owner), member=member.lower(), written_as_name=True)


def _owner_and_member(candidate: str, text: str) -> tuple[str | None, str | None]:
    """(owner, member) of `Class.method` (the owner written with a capital, or the term called with
    `(`), the owner's letters and digits only, lower-cased; else (None, None)."""
    match = _MEMBER.fullmatch(candidate)
    if match is None:
        return None, None
    owner = match["owner"].rsplit(".", 1)[-1]  # `requests.Session.request`: the class is `Session`
    called = candidate + "(" in text
    if not (any(ch.isupper() for ch in owner) or called) or len(owner) < 3:
        return None, None
    return name_letters(owner), match["member"].lower()


_PATH = re.compile(r"[\w.@+-]*/[\w./@+-]*|[\w@+-]+\.[A-Za-z]\w{0,5}\b")


def path_names(text: str) -> set[str]:
    """The names a text's paths are made of, lower-cased: each directory, each file name, and the
    file name up to its first dot (`java/util/HashMap.java` -> java, util, hashmap.java, hashmap)."""
    names: set[str] = set()
    for path in _PATH.findall(text):
        for part in path.lower().split("/"):
            if part and part not in (".", ".."):
                names.update((part, part.split(".", 1)[0]))
    return names


_WORD = re.compile(r"[A-Za-z]+")


def query_phrases(text: str) -> list[str]:
    """Words the request writes side by side ("default timeout"), lower-cased, each pair as a pattern
    that also finds it written as one identifier: default_timeout, DEFAULT_TIMEOUT_CONFIG,
    defaultTimeout, default-timeout. (A compound the request already joins, Floyd-Warshall, is
    one term of its own.) Each pattern opens with its first word, so a search skips ahead to it;
    the pair's short form is `phrase_short_form`."""
    return [phrase_pattern(first, second) for first, second in phrase_pairs(text)]


def phrase_pairs(text: str) -> list[tuple[str, str]]:
    """The pairs of words `query_phrases` finds, lower-cased, in order, each once."""
    words = list(_WORD.finditer(text))
    pairs: list[tuple[str, str]] = []
    for first, second in pairwise(words):
        between = text[first.end() : second.start()]
        if between != " ":
            continue
        pair = (first[0].lower(), second[0].lower())
        if any(len(word) < 3 or word in _STOPWORDS for word in pair) or pair in pairs:
            continue
        pairs.append(pair)
    return pairs


def phrase_pattern(first: str, second: str) -> str:
    """The pattern of a pair of words (see `query_phrases`)."""
    return rf"{first}[ \t_-]?{second}"


def phrase_short_form(first: str, second: str) -> str:
    """A pair of words shortened to the first one's initial and a hyphen, as technical prose
    shortens a kind of thing: "template strings" are `t-strings`, "format strings" `f-strings`.
    Found where a word starts (`lines_holding` with a word-start check: not in `at-strings`)."""
    return f"{first[0]}-{second}"


class ScoreParams(StageParams):
    error_weight: float = param(1.0, ge=0)
    anomaly_weight: float = param(0.7, ge=0)
    relevance_weight: float = param(1.0, ge=0)
    position_weight: float = param(0.3, ge=0)
    pin_errors: bool = param(True, description="Error units always survive")
    pin_needles: bool = param(True, description="Units holding a rare identifier from the request survive")
    needle_max_share: float = param(
        0.02, gt=0, le=1, description="An identifier found in more than this share of units is not a needle"
    )
    needle_max_units: int = param(
        100,
        ge=1,
        description="An identifier found in more units than this is not a needle, however long the block",
    )
    plain_needle_max_share: float = param(
        0.01,
        gt=0,
        le=1,
        description="A needle not written as a name (a plain word that is no common word), or held only "
        "by the tool arguments (often filters many units match: a date, a limit), is in at most this "
        "share of units",
    )
    needle_max_total: int = param(
        200, ge=0, description="Needles pin at most this many units together, the rarest terms first"
    )
    use_tool_arguments: bool = param(
        True, description="Score relevance against the tool call's arguments too"
    )


@register("score.v1")
class Score(Stage):
    """Score every unit from error, anomaly, relevance and position signals; pin what must survive."""

    requires = frozenset({"labels"})
    provides = frozenset({"scores"})
    Params = ScoreParams
    params: ScoreParams

    def applies_to(self, block: BlockState) -> bool:
        return super().applies_to(block) and block.document is not None

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert document is not None
        count = len(document.units)
        errors = document.error_signals()
        anomalies = document.anomaly_signals()
        relevance, needles = self._relevance(block, document)
        p = self.params
        scores = [
            p.error_weight * errors[i] + p.anomaly_weight * anomalies[i] + p.relevance_weight * relevance[i]
            for i in range(count)
        ]
        for index, weight in ((0, 1.0), (1, 0.5), (count - 2, 0.5), (count - 1, 1.0)):
            if 0 <= index < count:
                scores[index] += p.position_weight * weight
        pinned = set(document.anchors()) | needles
        if p.pin_errors:
            reported = [i for i, signal in enumerate(errors) if signal >= 1.0]
            # Templates are read only when there are too many error units to keep them all.
            kinds = document.templates() if len(reported) > signal_limit(count) else []
            pinned |= kept_signals(reported, kinds, count)
        block.scores = scores
        block.relevance = relevance
        block.pinned = pinned

    def _relevance(self, block: BlockState, document: Document) -> tuple[list[float], set[int]]:
        """Relevance per unit (0..1), and the units holding a needle."""
        call = block.block.tool_call
        arguments = [call.arguments] if self.params.use_tool_arguments and call else []
        terms = request_terms(block.block.query, *arguments)
        units = document.units
        count = len(units)
        relevance = [0.0] * count
        if not terms or not count:
            return relevance, set()
        lowered = [unit.lower() for unit in units]
        text = "\n".join(lowered)
        starts = line_starts(lowered)
        scopes = document.scopes() if any(term.owner for term in terms) else None
        # A plain word naming the file or a directory the call read (`apt` for /var/log/apt/term.log)
        # describes every unit of the output: it scores, but pins nothing.
        read = set().union(*(path_names(argument_values(argument)) for argument in arguments))
        groups = document.groups()
        candidates: list[Candidate] = []
        for position, term in enumerate(terms):
            hits = _units_holding(text, starts, term, scopes)
            if not hits or len(hits) == count:
                continue
            weight = math.log((count + 1) / (len(hits) + 0.5))
            for i in hits:
                relevance[i] += weight
            if (
                term.pins
                and (term.written_as_name or term.text not in read)
                and not _in_every_group(hits, groups)
            ):
                candidates.append((position, hits, term.asked and term.written_as_name, term.text))
        _count_phrases(relevance, block.block.query, text, starts)
        keys = document.keys()
        if keys is not None:
            _count_named_keys(relevance, terms, keys)
        top = max(relevance)
        if top > 0:
            relevance = [value / top for value in relevance]
        if not self.params.pin_needles:
            return relevance, set()
        found = self._term_needles(candidates, text, starts)
        if keys is not None:
            found += _key_needles(block.block.query, terms, keys)
        return relevance, self._within_total(found)

    def _limit(self, count: int, named: bool) -> int:
        """How many of `count` units a needle may pin: fewer for a term not written as a name."""
        p = self.params
        share = p.needle_max_share if named else p.plain_needle_max_share
        return min(max(NEEDLE_MIN_UNITS, int(share * count)), p.needle_max_units)

    def _term_needles(self, candidates: list[Candidate], text: str, starts: list[int]) -> list[Found]:
        """The units of the distinctive terms, each in few units. A term in too many units still
        pins where it stands as a whole name (`python3` in `python3:amd64`, not in `python3-minimal`
        or `libpython3.11`), if that is as rare as a plain word must be."""
        count = len(starts)
        found: list[Found] = []
        for position, hits, named, term in candidates:
            if len(hits) > self._limit(count, named):  # read more strictly, a term must be rarer too
                hits = lines_holding(text, starts, term, _stands_as_name, self._limit(count, False))
            if hits:
                found.append((len(hits), position, hits))
        return found

    def _within_total(self, found: list[Found]) -> set[int]:
        """The needles' units, the rarest terms first, while they fit needle_max_total."""
        needles: set[int] = set()
        for _, _, hits in sorted(found):
            if len(needles.union(hits)) <= self.params.needle_max_total:
                needles.update(hits)
        return needles


# (the term's position in the request, the units holding it, whether it is written as a name and
# asked by the user, the term's text)
Candidate = tuple[int, list[int], bool, str]
# (how many units a needle pins, its term's position in the request, the units)
Found = tuple[int, int, list[int]]


# Keys ----------------------------------------------------------------------------------------
#
# A document whose units are filed under names (`Document.keys`: a JSON value's path) is read by
# them too. A unit's own key is what its value is called, so a term in it counts twice for the
# unit's relevance. And the members of a map whose keys the request names are pinned:
# - the request's names are its terms written as names (`DelaySeconds`) and runs of up to
#   MAX_KEY_RUN words it writes side by side, the longest run that names a key first, its words
#   then naming nothing alone ("message system attribute", not also "message");
# - a name names a key when the key's words (`SendMessageRequest`: send, message, request;
#   `throttled_exception`: throttled, exception) hold its letters as a run of whole words, the last
#   one read by its stem (`throttling` names `throttled_exception`, `DelaySeconds` names
#   `DelaySeconds`, "message system attribute" names `MessageSystemAttributes`);
# - the members so named pin while they are a minority of their map: at most half of its members
#   and at most NEEDLE_MIN_UNITS; a member pins its whole value when that is NEEDLE_MIN_UNITS units
#   at most, else the unit its key is in;
# - a name that names members of more than MAX_NAMED_MAPS maps is a common name there (`Message`
#   in every operation): only the members filed under another name of the request pin
#   (`SendMessageRequest.members.DelaySeconds` for "SendMessage ... DelaySeconds"; the other
#   name is any term of four letters or more), if they are in MAX_NAMED_MAPS maps at most.

MAX_NAMED_MAPS = 5
_KEY_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def _count_named_keys(relevance: list[float], terms: Sequence[Term], keys: Sequence[Key]) -> None:
    """Add each term's weight again to the units whose own key holds it."""
    own = [key.own.lower() for key in keys]
    count = len(keys)
    for term in terms:
        named = [i for i, key in enumerate(own) if key and term.text in key]
        if named and len(named) < count:
            weight = math.log((count + 1) / (len(named) + 0.5))
            for i in named:
                relevance[i] += weight


def _key_needles(query: str, terms: Sequence[Term], keys: Sequence[Key]) -> list[Found]:
    """The members of maps whose keys the request names (see above), for each name of the request."""
    index = _key_index(keys)
    # A name may be that of a unit's container (`SendMessageRequest` above its members), not a unit's.
    spelled = {
        spelling for name in {name for key in keys for name in key.path} for spelling in _spellings(name)
    }
    names = _key_names(query, terms, spelled)
    found: list[Found] = []
    for position, letters in enumerate(names):
        by_map: dict[tuple[str, ...], list[int]] = {}
        for i in index.get(_word_stem(letters), ()):
            by_map.setdefault(keys[i].path[:-1], []).append(i)
        named = [
            i
            for members in by_map.values()
            if len(members) <= min(NEEDLE_MIN_UNITS, keys[members[0]].siblings // 2)
            for i in members
        ]
        if len(by_map) > MAX_NAMED_MAPS:
            others = [other for other in names if other != letters and len(other) >= 4]
            named = [i for i in named if any(other in _filed_letters(keys[i]) for other in others)]
            if len({keys[i].path[:-1] for i in named}) > MAX_NAMED_MAPS:
                continue  # another name of the request is in too many of their paths to tell them apart
        if named:
            units = sorted({unit for head in named for unit in _member_units(keys, head)})
            found.append((len(units), position, units))
    return found


# A key's runs of words this long at most are names it may be called by.
MAX_KEY_RUN = 4


def _key_index(keys: Sequence[Key]) -> dict[str, list[int]]:
    """Each spelling a run of whole words of an own key gives (the last word by its stem: see
    `_word_stem`) -> the units, in order, each once."""
    index: dict[str, list[int]] = {}
    for unit, key in enumerate(keys):
        for spelling in _spellings(key.own):
            held = index.setdefault(spelling, [])
            if not held or held[-1] != unit:
                held.append(unit)
    return index


@functools.lru_cache(maxsize=8192)
def _spellings(key: str) -> tuple[str, ...]:
    """What a key may be called: each run of its whole words, up to MAX_KEY_RUN, the last by its
    stem. (Keys repeat across units and documents, `documentation`, `members`: read once.)"""
    words = _key_words(key)
    spellings: list[str] = []
    for start in range(len(words)):
        spelled = ""
        for end in range(start, min(len(words), start + MAX_KEY_RUN)):
            spellings.append(spelled + _word_stem(words[end]))
            spelled += words[end]
    return tuple(spellings)


def _key_names(query: str, terms: Sequence[Term], spelled: Container[str]) -> list[str]:
    """The names the request gives keys, as letters: each term written as a name (`DelaySeconds`),
    and the words it writes side by side, the longest run that names a key first; a word of a run
    so taken names nothing alone ("message system attribute", not also "message")."""
    names = [name_letters(term.text) for term in terms if term.written_as_name and not term.derived]
    taken: set[int] = set()
    for words in sorted(_word_runs(query), key=lambda run: (-len(run), run[0][0])):
        if taken.intersection(position for position, _ in words):
            continue
        letters = "".join(word for _, word in words)
        if len(letters) >= 3 and _word_stem(letters) in spelled:
            names.append(letters)
            taken.update(position for position, _ in words)
    return [name for position, name in enumerate(names) if len(name) >= 3 and name not in names[:position]]


_PLAIN_WORD = re.compile(r"[A-Za-z]+")
_RUN_BREAK = frozenset(",.;:!?)(")


def _word_runs(query: str) -> list[list[tuple[int, str]]]:
    """Runs of one to MAX_KEY_RUN plain words the request writes side by side, as (position,
    lower-cased word), neither end a stopword or shorter than three letters. A word is a whole
    token between spaces, quotes and punctuation aside ("botocore's" is botocore): the parts of
    `minipass-fetch` or `a.b` are no words of their own. Punctuation after a word ends its run."""
    runs: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for position, token in enumerate(query.split()):
        bare = token.strip("\"'`“”‘’()[]{},.;:!?").removesuffix("'s").removesuffix("’s")
        if not _PLAIN_WORD.fullmatch(bare):
            current = []
            continue
        current.append((position, bare.lower()))
        runs.extend(
            current[start:]
            for start in range(max(0, len(current) - MAX_KEY_RUN), len(current))
            if _may_end_a_run(current[start][1]) and _may_end_a_run(current[-1][1])
        )
        if token[-1:] in _RUN_BREAK or token.endswith(("'s", "’s")):
            current = []
    return runs


def _may_end_a_run(word: str) -> bool:
    return len(word) >= 3 and word not in _STOPWORDS


def _member_units(keys: Sequence[Key], head: int) -> list[int]:
    """A named member's units: its whole value while that is NEEDLE_MIN_UNITS units at most (its
    documentation besides its `shape`), else the unit it is named in."""
    path = keys[head].path
    end = head + 1
    while end < len(keys) and keys[end].path[: len(path)] == path:
        end += 1
    return list(range(head, end)) if end - head <= NEEDLE_MIN_UNITS else [head]


def _filed_letters(key: Key) -> str:
    """The letters of the names a unit is filed under, its own aside."""
    return "".join(name_letters(name) for name in key.path[:-1])


def _key_words(key: str) -> list[str]:
    """A key's words, lower-cased: `SendMessageRequest` -> send, message, request; `__default__` ->
    default."""
    return [word.lower() for word in _KEY_WORD.findall(key)]


def _word_stem(word: str) -> str:
    """A word without its inflection: throttling, throttled -> throttl; attributes -> attribute."""
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


# A document of at least this many groups (commits, hunks, traces) can say a term is in all of them.
MIN_GROUPS_TO_TELL = 3


def _count_phrases(relevance: list[float], query: str, text: str, starts: list[int]) -> None:
    """Words the request puts side by side count again where a unit has them side by side, in a
    phrase or joined into one identifier."""
    count = len(relevance)
    pairs = phrase_pairs(query)
    shortened = [lines_holding(text, starts, phrase_short_form(*pair), _starts_a_word) for pair in pairs]
    for phrase, short in zip(query_phrases(query), shortened, strict=True):
        placed = {bisect_right(starts, m.start()) - 1 for m in re.finditer(phrase, text)}
        hits = sorted(placed.union(short))
        if hits and len(hits) < count:
            weight = math.log((count + 1) / (len(hits) + 0.5))
            for i in hits:
                relevance[i] += weight


def _in_every_group(hits: list[int], groups: list[range]) -> bool:
    """Whether a term is in every group of the document (each commit of `git log -- path` names the
    path): what the output was selected by, not what tells its parts apart. It scores; it pins nothing."""
    if len(groups) < MIN_GROUPS_TO_TELL or len(hits) < len(groups):
        return False
    starts = [group.start for group in groups]
    touched = set()
    for index in hits:
        position = bisect_right(starts, index) - 1
        if position >= 0 and index in groups[position]:
            touched.add(position)
    return len(touched) == len(groups)


def _stands_as_name(text: str, index: int, length: int) -> bool:
    """No letter, digit or `_ . -` right before or after: the whole of a name, not a part of one."""
    after = index + length
    return (index == 0 or not _is_name_char(text[index - 1])) and (
        after == len(text) or not _is_name_char(text[after])
    )


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char in "_.-"


def _units_holding(text: str, starts: list[int], term: Term, scopes: Sequence[Scope] | None) -> list[int]:
    """The units holding a term; for `Class.method` also those naming the method inside the class.
    A two-letter name counts only where it stands whole (`jq` in `jq:amd64`, not in `libjq1`)."""
    if len(term.text) < 3:
        return lines_holding(text, starts, term.text, _stands_as_name)
    hits = _units_containing(text, starts, term.text)
    if term.owner is None or term.member is None or scopes is None:
        return hits
    owner = term.owner
    inside = [i for i in lines_holding(text, starts, term.member, whole_word) if scopes[i].within(owner)]
    return sorted(set(hits).union(inside)) if inside else hits


def _units_containing(text: str, starts: list[int], term: str) -> list[int]:
    """Units that contain the term, in order; `text` is the lower-cased units joined by newlines and
    `starts` their offsets. A number must stand alone ("300" is not in "13002"), and a short word must
    start a word ("boot" is in "booting" and "boot_time", not in "reboot"; "end" is not in "pending")."""
    accept = _digits_stand_alone if term.isdigit() else None
    if term.isalpha() and len(term) <= SHORT_WORD:
        accept = _starts_a_word
    return lines_holding(text, starts, term, accept)


def _digits_stand_alone(text: str, index: int, length: int) -> bool:
    return not _digit_at(text, index - 1) and not _digit_at(text, index + length)


def _starts_a_word(text: str, index: int, length: int) -> bool:
    return index == 0 or not (text[index - 1].isascii() and text[index - 1].isalnum())


def _digit_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and "0" <= text[index] <= "9"
