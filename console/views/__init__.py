"""One view per module; each takes plain state and emits signals, none talks to I/O."""
