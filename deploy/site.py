"""Apply each host's roles, in the order the inventory lists them.

    pyinfra deploy/inventory.py deploy/site.py            # what `schoolnet deploy` runs
"""

import importlib
import sys
from pathlib import Path

from pyinfra import host

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so `roles` imports from the repository

for role in host.data.schoolnet_roles:
    importlib.import_module(f"roles.{role.replace('-', '_')}").apply()
