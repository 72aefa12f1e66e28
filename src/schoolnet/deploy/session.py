"""After sshd or the firewall took new files: does a brand-new SSH login still get in?

The deploy's own session survives a reload of sshd or nftables, so it proves nothing.
A new login, with the same user, key and pinned host key, does.  If it fails, the role's
files are restored at once through the session still open (and, were that session gone
too, the revert armed on the host would run by itself: `schoolnet.deploy.transaction`).
"""

from __future__ import annotations

import time

import paramiko
from pyinfra.api.command import StringCommand
from pyinfra.context import host

from schoolnet.deploy import transaction


class LockedOut(RuntimeError):
    """The new files locked the deploy user out; the message says whether the host was put back."""


def new_login_works(wait: float = 0.0) -> bool:
    """A new SSH session, as the deploy makes them, runs a command: within `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        client = paramiko.SSHClient()
        client.load_host_keys(host.data.ssh_known_hosts_file)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        key = host.data.get("ssh_key")
        try:  # authenticated as pyinfra's connector is: the given key, else the agent and the default keys
            client.connect(host.data.ssh_hostname, port=host.data.ssh_port, username=host.data.ssh_user,
                           key_filename=key, passphrase=host.data.get("ssh_key_password"), timeout=10,
                           banner_timeout=10, auth_timeout=10, allow_agent=True, look_for_keys=key is None)
            _, stdout, _ = client.exec_command("true", timeout=10)
            if stdout.channel.recv_exit_status() == 0:
                return True
        except (OSError, paramiko.SSHException):
            pass
        finally:
            client.close()
        if time.monotonic() >= deadline:
            return False
        time.sleep(1)


def confirm_new_session(role: str, run: str) -> None:
    """Run by pyinfra (python.call) right after the role's change: raise LockedOut if no new login."""
    if new_login_works():
        return
    restored, _ = host.run_shell_command(StringCommand(transaction.revert_now(role, run)),
                                         _sudo=host.data.get("_sudo", True))
    back = new_login_works(wait=30)
    what = f"every file of {role} was restored" if restored else \
        f"the files of {role} could not be restored through the open session (the host reverts them itself)"
    raise LockedOut(f"{role}: with the new files a new SSH login as {host.data.ssh_user} fails: {what}"
                    + ("; a new login works again" if back else "; a new login still fails: see the host's console"))
