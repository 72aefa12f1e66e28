"""Stage beside deploy: the auditors' static site and its CSV exports, made from the model."""
