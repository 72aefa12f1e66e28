"""One pyinfra deploy per role: packages, the role's rendered files, on-host checks, services."""
