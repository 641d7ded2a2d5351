"""The CLI's exit codes: one meaning each, the same in every command (docs/cli.md lists them)."""

from __future__ import annotations

__all__ = [
    "EXIT_CODES",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_PIPE_CLOSED",
    "EXIT_USAGE",
]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_FAILED = 4
EXIT_INTERRUPTED = 130
#: 128 + SIGPIPE, as a shell reports a command whose reader went away (``| head``).
EXIT_PIPE_CLOSED = 141

#: What each code means, for the help text and docs/cli.md.
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "done: the batch was checked (drift or not), the run finished with a model deployed",
    EXIT_USAGE: "usage or configuration: a bad option or setting, a missing or unreadable profile, "
    "predictions that do not match the batch",
    EXIT_INVALID: "a data file cannot be used (training data or batch): missing, unreadable, no label "
    "column, malformed; the reason code is in the message",
    EXIT_FAILED: "an operation failed: the first model was not deployed, a wait timed out, a redrive or "
    "a repair failed",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
    EXIT_PIPE_CLOSED: "the output's reader went away (for example: | head); nothing more is printed",
}
