"""The one exception type a user can cause; the CLI prints it as a single sentence."""


class SuiteError(Exception):
    """A problem with the user's input or environment: what is wrong, where, and how to fix it."""
