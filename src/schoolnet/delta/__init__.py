"""`schoolnet ci` after a change to school files only: the change held against the last clean run."""
