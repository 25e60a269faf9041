"""The one exception family the CLI turns into ``Error: ...`` and exit code 1."""


class ThemeGraphError(Exception):
    """An error a user can act on: bad input, an unreachable server, a store in use."""


class InputError(ThemeGraphError):
    """Input files that cannot be loaded; ``problems`` lists every ``file:line: message``."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class StoreError(ThemeGraphError):
    """A store refused an operation; nothing was written."""
