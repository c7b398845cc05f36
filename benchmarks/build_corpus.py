"""Build the benchmark corpus: realistic agent conversations, most of them from real material on this machine.

    python benchmarks/build_corpus.py            # rebuild every case it can, into benchmarks/corpus/
    python benchmarks/build_corpus.py --only pip_list_json --only dpkg_log
    python benchmarks/build_corpus.py --list     # the cases and where each comes from

Each case is one JSON file: an agent conversation (OpenAI or Anthropic format) in which the user
asks a question, the assistant calls a tool with realistic arguments, and the tool answers with
the output of a real command or file (or, for a few cases marked "synthetic", a seeded generator).
`facts` are the verbatim strings a model needs from the tool output to answer the question. They
are picked here, from the question and the raw material, never from what a compressor keeps; the
builder refuses a fact that is missing from the tool output or that the question already gives
away.

The committed corpus files are what `benchmarks/run.py` reads, so the benchmark runs the same on
any machine. This script is only for regenerating them: a case whose command or file is missing
here is skipped with a message and its committed file is left as it was. Volatile sources
(`ps aux`, `dmesg`) are snapshots by nature; everything else depends only on what is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from typing import Any

import corpus_cases
from corpus_kit import CASES, CORPUS, MAX_CASE_BYTES, SYSTEM_PROMPT, CaseSpec, Material, Skip

corpus_cases.load_all()


# building --------------------------------------------------------------------------------------


def tool_call_id(case_id: str, index: int, fmt: str) -> str:
    digest = hashlib.sha256(f"{case_id}:{index}".encode()).hexdigest()[:24]
    return f"toolu_{digest}" if fmt == "anthropic" else f"call_{digest}"


def openai_messages(spec: CaseSpec, material: Material) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM_PROMPT}]
    number = 0
    for turn in material.turns():
        ids = [tool_call_id(spec.id, number + index, "openai") for index in range(len(turn.calls))]
        number += len(turn.calls)
        calls = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call_id, call in zip(ids, turn.calls, strict=True)
        ]
        messages.append({"role": "user", "content": turn.question})
        messages.append({"role": "assistant", "content": turn.preamble or None, "tool_calls": calls})
        for call_id, call in zip(ids, turn.calls, strict=True):
            messages.append({"role": "tool", "tool_call_id": call_id, "content": call.output})
        if turn.answer:
            messages.append({"role": "assistant", "content": turn.answer})
    return messages


def anthropic_messages(spec: CaseSpec, material: Material) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    number = 0
    results: list[dict[str, Any]] = []
    for turn in material.turns():
        assistant: list[dict[str, Any]] = []
        if turn.preamble:
            assistant.append({"type": "text", "text": turn.preamble})
        results = []
        for index, call in enumerate(turn.calls):
            call_id = tool_call_id(spec.id, number + index, "anthropic")
            assistant.append({"type": "tool_use", "id": call_id, "name": call.name, "input": call.arguments})
            content: Any = call.output if index % 2 == 0 else [{"type": "text", "text": call.output}]
            results.append({"type": "tool_result", "tool_use_id": call_id, "content": content})
        number += len(turn.calls)
        messages.append({"role": "user", "content": [{"type": "text", "text": turn.question}]})
        messages.append({"role": "assistant", "content": assistant})
        messages.append({"role": "user", "content": results})
        if turn.answer:
            messages.append({"role": "assistant", "content": [{"type": "text", "text": turn.answer}]})
    results[-1]["cache_control"] = {"type": "ephemeral"}  # the newest block, as a caching client marks it
    return messages


def check_facts(spec: CaseSpec, material: Material) -> None:
    outputs = "\n".join(call.output for call in material.all_calls())
    asked = "\n".join(
        turn.question + "\n" + turn.answer + "\n" + json.dumps([c.arguments for c in turn.calls])
        for turn in material.turns()
    )
    for entry in material.facts:
        spellings = entry if isinstance(entry, list) else [entry]
        if not spellings[0].strip() or spellings[0] not in outputs:
            raise ValueError(f"{spec.id}: fact not in the tool output: {spellings[0]!r}")
        for fact in spellings:
            if not fact.strip():
                raise ValueError(f"{spec.id}: empty fact")
            if fact in asked:
                raise ValueError(
                    f"{spec.id}: fact given away by the questions, answers or arguments: {fact!r}"
                )


def build_case(spec: CaseSpec) -> dict[str, Any]:
    material = spec.build()
    check_facts(spec, material)
    for call in material.all_calls():
        if call.is_json:
            json.loads(call.output)
    messages = openai_messages(spec, material) if spec.fmt == "openai" else anthropic_messages(spec, material)
    return {
        "id": spec.id,
        "format": spec.fmt,
        "kind": spec.kind,
        "source": spec.source,
        "origin": material.origin,
        "question": material.question,
        "model": "gpt-4o",
        "json_outputs": [index for index, call in enumerate(material.all_calls()) if call.is_json],
        "turns": len(material.turns()),
        "facts": material.facts,
        "notes": material.notes,
        "fact_rule": material.rule,
        "messages": messages,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", action="append", help="build only these case ids")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    if args.list:
        for spec in CASES:
            print(f"{spec.id:<32} {spec.kind:<12} {spec.source:<10} {spec.fmt}")
        return 0
    CORPUS.mkdir(exist_ok=True)
    wanted = set(args.only or [spec.id for spec in CASES])
    unknown = wanted - {spec.id for spec in CASES}
    if unknown:
        parser.error(f"unknown case ids: {', '.join(sorted(unknown))}")
    built = skipped = 0
    for spec in CASES:
        if spec.id not in wanted:
            continue
        try:
            data = build_case(spec)
        except Skip as reason:
            skipped += 1
            print(f"skip  {spec.id}: {reason} (keeping the committed file)", file=sys.stderr)
            continue
        text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
        if len(text.encode()) > MAX_CASE_BYTES:
            print(
                f"error {spec.id}: {len(text.encode())} bytes, over the {MAX_CASE_BYTES} cap", file=sys.stderr
            )
            skipped += 1
            continue
        (CORPUS / f"{spec.id}.json").write_text(text, encoding="utf-8")
        built += 1
        print(f"built {spec.id:<32} {len(text.encode()):>8} bytes  {len(data['facts'])} facts")
    print(f"{built} built, {skipped} skipped -> {CORPUS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
