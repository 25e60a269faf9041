"""Regenerate docs/cli.md, the command-line reference, from the typer app itself (`make docs`).

The page is built from the same click objects that print ``--help`` (usage, help text and each
argument's and option's help record), so it cannot drift from the code unnoticed:
tests/test_docs.py fails when docs/cli.md differs from what this script writes.
``python docs/generate_cli.py --check`` reports a stale page without rewriting it.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import typer

from themegraph.cli import app

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cli.md"

INTRO = """# Command-line reference

Every `themegraph` command with its arguments and options, as `themegraph COMMAND --help` prints
them. Data goes to stdout and messages to stderr; errors a user can act on print `Error: ...` and
exit 1, usage errors exit 2. Global options (`--db`, `--neo4j`) come before the command:
`themegraph --db demo/themegraph.db stats`. Every command also takes `--help`.

This page is generated from the typer app by `docs/generate_cli.py` (`make docs`); a test fails
when it is stale.
"""


def commands(command, name: str, parent=None):
    """Yield ``(context, command)`` for ``command`` and every subcommand, depth first, in the
    order ``--help`` lists them."""
    ctx = command.context_class(command, info_name=name, parent=parent)
    yield ctx, command
    if hasattr(command, "list_commands"):
        for sub in command.list_commands(ctx):
            yield from commands(command.get_command(ctx, sub), sub, ctx)


def cell(text: str) -> str:
    """Text fit for one Markdown table cell; paths inside the checkout are shown relative to it,
    so the page is the same wherever the repository is cloned."""
    return text.replace(f"{ROOT}/", "").replace("|", "\\|").replace("\n", " ")


def section(ctx, command) -> list[str]:
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    lines = [f"## `{ctx.command_path}`", "", inspect.cleandoc(command.help or ""), "", "```", usage, "```", ""]
    records = [p.get_help_record(ctx) for p in command.get_params(ctx) if p.name != "help"]
    records = [r for r in records if r]
    if records:
        lines += ["| argument / option | meaning |", "|---|---|"]
        lines += [f"| `{cell(names)}` | {cell(meaning)} |" for names, meaning in records]
        lines.append("")
    return lines


def render(typer_app: typer.Typer = app) -> str:
    """The whole page, as docs/cli.md should hold it."""
    root = typer.main.get_command(typer_app)
    found = list(commands(root, "themegraph"))
    index = ["| command | what it does |", "|---|---|"]
    index += [
        f"| [`{ctx.command_path}`](#{anchor(ctx.command_path)}) | {cell(cmd.get_short_help_str(200))} |"
        for ctx, cmd in found[1:]
        if not hasattr(cmd, "list_commands")
    ]
    parts = [INTRO, *index, ""]
    for ctx, cmd in found:
        parts += section(ctx, cmd)
    return "\n".join(parts)


def anchor(heading: str) -> str:
    """GitHub's anchor for a ``## `heading` `` line: lower case, spaces to dashes, no backticks."""
    return heading.lower().replace(" ", "-")


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print("docs/cli.md is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote docs/cli.md ({text.count(chr(10) + '## ')} sections)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
