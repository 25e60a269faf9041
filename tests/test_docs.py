"""Generated documentation stays current: docs/cli.md is what docs/generate_cli.py makes of the
typer app today (`make docs` rewrites it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

import typer

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("generate_cli", ROOT / "docs" / "generate_cli.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate_cli = _generator()


def test_cli_reference_is_current():
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert page == generate_cli.render(), "docs/cli.md is stale: run `make docs`"


def test_cli_reference_shows_real_usage_lines_and_options():
    page = generate_cli.render()
    assert "```\nthemegraph load study [OPTIONS] {folder}\n```" in page
    assert "| `--dry-run` | Validate only; write nothing. |" in page
    # the bundled example's path is shown relative to the checkout, the same on every machine
    assert str(ROOT) not in page


def test_a_new_command_or_option_changes_the_page():
    app = typer.Typer(help="Tool.", add_completion=False)
    sub = typer.Typer(help="Things to do.")
    app.add_typer(sub, name="do")

    @sub.command()
    def it(
        path: Annotated[Path, typer.Argument(help="A | file.")],
        times: Annotated[int, typer.Option("--times", "-t", help="How often.")] = 2,
    ):
        """Do it.

        Twice by default."""

    expected = r"""
| command | what it does |
|---|---|
| [`themegraph do it`](#themegraph-do-it) | Do it. |

## `themegraph`

Tool.

```
themegraph [OPTIONS] COMMAND [ARGS]...
```

## `themegraph do`

Things to do.

```
themegraph do [OPTIONS] COMMAND [ARGS]...
```

## `themegraph do it`

Do it.

Twice by default.

```
themegraph do it [OPTIONS] {path}
```

| argument / option | meaning |
|---|---|
| `path` | A \| file.  [required] |
| `-t, --times <int>` | How often.  [default: 2] |
"""
    assert generate_cli.render(app) == generate_cli.INTRO + expected
