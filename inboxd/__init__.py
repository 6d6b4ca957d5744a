"""inboxd: a watched-folder document intake daemon."""

__version__ = "0.1.0"
