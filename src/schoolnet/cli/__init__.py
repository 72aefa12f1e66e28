"""The `schoolnet` command line: one subcommand per stage."""
