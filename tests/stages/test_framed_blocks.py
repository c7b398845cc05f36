"""Framed tool output through the default pipeline: classified as what is inside the frame,
compressed by that type's crusher, the frame put back (`headroom.content.framing`).

Each case's fact is picked by a written rule before compressing: the record, package or line
in the middle of the output, which the question then names."""

from __future__ import annotations

import json
import re

from headroom import compress, retrieve
from headroom.ccr.stores import MemoryStore
from headroom.content.framing import find_frame
from headroom.markers import find_markers
from headroom.stages.classify import Classify
from tests.content.test_framing import arrowed, check_numbered, codex
from tests.helpers import make_state, openai_tool_turn, run_stage, tool_block
from tests.stages.crush.line_checks import check_lines, fixture


def compressed(text: str, question: str) -> tuple[str, MemoryStore, list[str]]:
    store = MemoryStore()
    result = compress(openai_tool_turn(text, question, tool="bash"), store=store)
    output = result.messages[-1]["content"]
    again = compress(openai_tool_turn(text, question, tool="bash"), store=MemoryStore())
    assert again.messages[-1]["content"] == output, "the same input gives the same bytes"
    return output, store, result.transforms_applied


def the_hash(output: str) -> str:
    (ref,) = {marker.hash for marker in find_markers(output)}
    return ref


def without_note(output: str) -> str:
    """The output without the retrieval note the pipeline closes a compressed block with."""
    return output.rsplit("\n", 1)[0] if output.rsplit("\n", 1)[-1].startswith("[headroom: ") else output


def test_classify_labels_a_framed_block_by_what_is_inside() -> None:
    state = make_state(openai_tool_turn(fixture("cat_n_airlines_json.txt"), "Which airlines are listed?"))
    run_stage(Classify(), state)
    block = tool_block(state)
    assert block.label == "json_array"
    assert "line-number gutter" in block.candidates[0].evidence


def test_cat_n_of_a_json_file_keeps_the_record_asked_about_with_its_line_numbers() -> None:
    listing = fixture("cat_n_airlines_json.txt")
    frame = find_frame(listing)
    assert frame is not None
    records = json.loads(frame.body)
    asked = records[len(records) // 2]
    output, store, notes = compressed(listing, f"What does the {asked['id']} entry match?")
    ref = the_hash(output)
    assert retrieve(ref, store) == listing
    lines = listing.split("\n")
    kept = check_numbered(lines, without_note(output), ref)
    asked_line = next(i for i, line in enumerate(lines) if f'"id": "{asked["id"]}"' in line)
    assert asked_line in kept and asked_line + 1 in kept  # its id and its match, numbered as they were
    assert len(output) < len(listing) / 3
    assert any(note.startswith("crush.json.v1:items") for note in notes)


def test_an_arrow_gutter_is_read_the_same_way() -> None:
    listing = arrowed(fixture("cat_n_airlines_json.txt"))
    output, store, _ = compressed(listing, "Which airlines are listed?")
    ref = the_hash(output)
    assert retrieve(ref, store) == listing
    assert all(line.startswith("[headroom: ") or re.match(r"^ *\d+→", line) for line in output.split("\n"))
    assert len(output) < len(listing) / 3


def test_nl_of_a_log_keeps_the_line_asked_about_with_its_number() -> None:
    listing = fixture("nl_dpkg_log.txt")
    lines = listing.split("\n")
    configured = [i for i, line in enumerate(lines) if " configure " in line]
    asked = configured[len(configured) // 2]
    package = lines[asked].split(" configure ")[1].split(":")[0].split(" ")[0]
    output, store, notes = compressed(listing, f"When was {package} configured?")
    ref = the_hash(output)
    assert retrieve(ref, store) == listing
    kept = check_numbered(lines, without_note(output), ref)
    assert asked in kept
    assert len(output) < len(listing) / 3
    assert any(note.startswith("crush.log.v1") for note in notes)
    # A query on the original answers in the markers' unit: the listing's lines, numbers and all.
    matches = retrieve(ref, store, query=f"configure {package}:")
    assert isinstance(matches, list) and lines[asked] in [match.text for match in matches]
    assert all(match.text == lines[match.position - 1] for match in matches)


def test_codex_header_over_pip_list_json_is_kept_and_the_package_asked_about_survives() -> None:
    text = fixture("codex_pip_list_json.txt")
    frame = find_frame(text)
    assert frame is not None
    packages = json.loads(frame.body)
    asked = packages[len(packages) // 2]
    output, store, notes = compressed(text, f"Which version of {asked['name']} is installed?")
    assert output.startswith(frame.head)
    assert asked["name"] in output and asked["version"] in output
    assert retrieve(the_hash(output), store) == text
    assert len(output) < len(text)
    assert any(note.startswith("crush.json.v1:items") for note in notes)


def test_codex_header_over_a_log_keeps_the_header_and_numbers_the_block_lines() -> None:
    text = codex(fixture("dpkg.log"))
    lines = text.split("\n")
    asked = next(i for i in range(len(lines) // 2, len(lines)) if " configure " in lines[i])
    package = lines[asked].split(" configure ")[1].split(":")[0].split(" ")[0]
    output, store, _ = compressed(text, f"When was {package} configured?")
    ref = the_hash(output)
    assert retrieve(ref, store) == text
    kept = check_lines(text, output, ref)
    assert set(range(5)) <= set(kept)  # the header, as Codex wrote it
    assert asked in kept


def test_cat_n_of_a_json_object_keeps_the_member_asked_about_with_its_line_numbers() -> None:
    listing = fixture("cat_n_beta_headers_json.txt")
    frame = find_frame(listing)
    assert frame is not None
    members = list(json.loads(frame.body))
    asked = members[len(members) // 2]
    output, store, notes = compressed(listing, f"Which beta headers does {asked} accept?")
    ref = the_hash(output)
    assert retrieve(ref, store) == listing
    lines = listing.split("\n")
    kept = check_numbered(lines, without_note(output), ref)
    opening = next(i for i, line in enumerate(lines) if line.endswith(f'\t  "{asked}": {{'))
    assert opening in kept and opening + 1 in kept  # the member and its first entry, numbered as they were
    assert len(output) < len(listing) / 2
    assert any(note.startswith("crush.json_object.v1") for note in notes)
