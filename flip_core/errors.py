"""Exceptions whose message is a complete, one-line explanation for the user.

The CLI prints ``flip: error: <message>`` for any :class:`FlipError` and exits with status 2,
so every message must name the offending file, value or option and say what was expected.
"""


class FlipError(Exception):
    """Base class: a problem the user can fix from the message alone."""


class FlipConfigError(FlipError):
    """An unknown name or an impossible combination of options."""


class FlipInputError(FlipError):
    """A data or input file that is missing, unreadable or malformed."""


class FlipModelError(FlipError):
    """A model that cannot be found, converted or loaded."""
