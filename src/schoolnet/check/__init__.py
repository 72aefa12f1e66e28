"""Stage 6: the programs that will read each rendered file validate exactly those bytes, offline."""

from schoolnet.check.run import CheckReport, check_build

__all__ = ["CheckReport", "check_build"]
