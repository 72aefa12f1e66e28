"""Apply each host's roles, in the order the inventory lists them.

    pyinfra deploy/inventory.py deploy/site.py            # what `schoolnet deploy` runs
"""

import importlib
import sys
from pathlib import Path

from pyinfra import host

from schoolnet.deploy.steps import expect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so `roles` imports from the repository

roles = [importlib.import_module(f"roles.{role.replace('-', '_')}") for role in host.data.schoolnet_roles]
expect(packages=[p for role in roles for p in role.PACKAGES], services=[s for role in roles for s in role.SERVICES])
for role in roles:
    role.apply()
