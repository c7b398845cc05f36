"""The `headroom` command.

headroom compress examples/incident.json          # compressed messages (stdout) + savings table (stderr)
headroom compress chat.json --pipeline my.yaml --model claude-sonnet-4-5 --out small.json
headroom compress chat.json --store sqlite:///ccr.db --namespace team-a   # keep the originals there
headroom validate my.yaml                         # every problem in a pipeline file, or "ok"
headroom pipelines | headroom stages | headroom schema --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from headroom.pipeline.errors import ConfigurationError

EXIT_OK, EXIT_BAD_INPUT, EXIT_BAD_PIPELINE = 0, 2, 3


def _load_messages(path: Path) -> tuple[list[Any], str | None]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return data["messages"], data.get("model")
    if isinstance(data, list):
        return data, None
    raise ValueError("expected a JSON list of messages, or an object with a `messages` list")


def _savings_table(before: list[Any], after: list[Any], model: str | None) -> Table:
    from headroom.tokens import count_message_tokens

    counts = [
        (count_message_tokens([old], model), count_message_tokens([new], model))
        for old, new in zip(before, after, strict=False)
    ]
    total_before = sum(old for old, _ in counts)
    total_after = sum(new for _, new in counts)
    share = f"{(total_before - total_after) / total_before:.1%}" if total_before else "0%"
    table = Table(title="Headroom savings", show_footer=True)
    table.add_column("#", footer="total")
    table.add_column("role")
    table.add_column("tokens before", justify="right", footer=str(total_before))
    table.add_column("tokens after", justify="right", footer=str(total_after))
    table.add_column("saved", justify="right", footer=share)
    for position, (message, (old, new)) in enumerate(zip(before, counts, strict=False)):
        role = message.get("role", "?") if isinstance(message, dict) else "?"
        saved = f"{(old - new) / old:.0%}" if old > new else ""
        table.add_row(str(position), str(role), str(old), str(new), saved)
    return table


def cmd_compress(args: argparse.Namespace) -> int:
    from rich.markup import escape

    from headroom import compress
    from headroom.pipeline.errors import ConfigurationError

    err = Console(stderr=True)
    try:
        messages, file_model = _load_messages(Path(args.file))
    except (OSError, ValueError) as error:
        err.print(f"[red]cannot read {args.file}: {error}[/red]")
        return EXIT_BAD_INPUT
    model = args.model or file_model or "gpt-4o"
    try:
        result = compress(
            messages,
            model=model,
            pipeline=args.pipeline,
            user_query=args.query,
            store=args.store,
            namespace=args.namespace,
        )
    except (ConfigurationError, ValueError) as error:  # a bad pipeline, store URL or namespace
        err.print(str(error), markup=False)
        return EXIT_BAD_PIPELINE
    text = json.dumps(result.messages, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    elif not args.quiet:
        sys.stdout.write(text + "\n")
    err.print(_savings_table(messages, result.messages, model))
    err.print(
        f"pipeline [bold]{result.pipeline}[/bold], model {model}: "
        f"{result.tokens_before} -> {result.tokens_after} tokens ({result.compression_ratio:.1%} saved) "
        f"in {result.seconds * 1000:.0f} ms"
    )
    for transform in result.transforms_applied:
        err.print(f"  {transform}", markup=False)
    for failure in result.failures:
        err.print(f"  [yellow]note:[/yellow] {escape(failure)}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from headroom.pipeline.errors import PipelineSpecError, UnknownPipelineError
    from headroom.pipeline.loading import load_pipeline

    try:
        pipeline = load_pipeline(args.file)
    except (PipelineSpecError, UnknownPipelineError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_PIPELINE
    print(f"ok: {pipeline.name} runs {' -> '.join(pipeline.order)}")
    return EXIT_OK


def cmd_pipelines(args: argparse.Namespace) -> int:
    from headroom.pipeline.loading import load_pipeline
    from headroom.pipeline.shipped import builtin_names

    for name in builtin_names():
        pipeline = load_pipeline(name)
        print(f"{name:20} {pipeline.description}")
    return EXIT_OK


def cmd_stages(args: argparse.Namespace) -> int:
    import dataclasses

    from headroom.pipeline import registry
    from headroom.pipeline.params import default_of, description_of

    for name in registry.names():
        cls = registry.lookup(name)
        assert cls is not None
        summary = (cls.__doc__ or "").strip().split("\n")[0]
        print(f"{name:16} {summary}")
        for field in dataclasses.fields(cls.Params):
            description = description_of(field) or ""
            print(f"    {field.name} = {default_of(field)!r}  {description}".rstrip())
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from headroom.pipeline.shipped import builtin_dir
    from headroom.pipeline.spec import json_schema

    if not args.write:
        sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
        return EXIT_OK
    from headroom.pipeline import registry
    from headroom.pipeline.plan import write_plans

    with registry.scoped():  # what ships describes what ships: no installed plugin in it
        target = builtin_dir() / "schema.json"
        target.write_text(json.dumps(json_schema(built_in_only=True), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {target}")
        for plan in write_plans(builtin_dir()):
            print(f"wrote {plan}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="headroom", description="Compress what you send to an LLM.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("compress", help="compress a JSON file of messages")
    run.add_argument("file", help="a JSON list of messages, or an object with `messages` (and `model`)")
    run.add_argument("--model", help="the model the messages are for (default: the file's, else gpt-4o)")
    run.add_argument("--pipeline", default="default", help="a shipped pipeline name or a YAML path")
    run.add_argument("--query", help="the user's request, when it is not the last user turn")
    run.add_argument(
        "--store", help="where originals are kept: memory:// (default), sqlite:///path, redis://..."
    )
    run.add_argument("--namespace", help="whose originals these are (default: `default`)")
    run.add_argument("--out", help="write the compressed messages here instead of stdout")
    run.add_argument("--quiet", action="store_true", help="print only the savings table")
    run.set_defaults(handler=cmd_compress)

    validate = commands.add_parser("validate", help="check a pipeline YAML file and list every problem")
    validate.add_argument("file")
    validate.set_defaults(handler=cmd_validate)

    commands.add_parser("pipelines", help="list the shipped pipelines").set_defaults(handler=cmd_pipelines)
    commands.add_parser("stages", help="list the registered stages and their params").set_defaults(
        handler=cmd_stages
    )

    schema = commands.add_parser(
        "schema", help="print the pipeline JSON Schema (--write: also compile the shipped pipelines)"
    )
    schema.add_argument(
        "--write",
        action="store_true",
        help="write pipelines/schema.json and each shipped pipeline's .plan.json",
    )
    schema.set_defaults(handler=cmd_schema)

    proxy = commands.add_parser(
        "proxy",
        help="run the compressing HTTP proxy (Claude Code, Cursor, Codex, any OpenAI or Anthropic client)",
        description="An HTTP proxy that compresses every request on its way to Anthropic, OpenAI or a "
        "cloud backend. Needs the proxy extra: pip install 'headroom-ai[proxy]'.",
        epilog=_proxy_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _proxy_arguments(proxy)
    proxy.set_defaults(handler=cmd_proxy)
    return parser


def _proxy_epilog() -> str:
    try:
        from headroom.proxy.serve import _EPILOG
    except ImportError:  # the proxy extra is not installed: the command says so when run
        return ""
    return _EPILOG


def _proxy_arguments(parser: argparse.ArgumentParser) -> None:
    try:
        from headroom.proxy.serve import add_arguments
    except ImportError:
        return
    add_arguments(parser)


def cmd_proxy(args: argparse.Namespace) -> int:
    try:
        from headroom.proxy.serve import run
    except ImportError as error:
        print(
            f"headroom proxy needs the proxy extra: pip install 'headroom-ai[proxy]' ({error})",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        return run(args)
    except (ValueError, TypeError, ConfigurationError) as error:  # a pipeline, a store URL, a setting
        print(f"headroom proxy: {error}", file=sys.stderr)
        return EXIT_BAD_PIPELINE


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except BrokenPipeError:  # `headroom stages | head`: the reader left, which is fine
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
