"""The shared kernel: the ground floor every app builds on. It imports no project app and not config."""
