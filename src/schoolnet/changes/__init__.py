"""`schoolnet changes`: what a range of commits does to the fleet, in words an auditor reads."""
