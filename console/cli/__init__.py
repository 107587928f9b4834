"""Headless command line: ``headroom <subcommand>``. Importing it never imports Qt."""
