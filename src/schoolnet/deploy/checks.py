"""The on-host check of each kind of file, run against the new file before it replaces the old.

`staged`: the program checks the new file where it was uploaded, and only then is it
installed.  `live`: the program can only check the whole configuration in place, so the
old file is kept aside and put back if the check fails.  Either way a file that fails
its check never stays active.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OnHostCheck:
    command: str  # {file} is the file to check
    live: bool = False


ON_HOST: dict[str, OnHostCheck] = {
    "dnsmasq": OnHostCheck("dnsmasq --test --conf-file={file}"),
    "unbound": OnHostCheck("unbound-checkconf {file}"),
    "named-zone": OnHostCheck("named-checkzone \"$(sed -n 's/^\\$ORIGIN \\(.*\\)\\.$/\\1/p' {file})\" {file}"),
    "named-conf": OnHostCheck("named-checkconf {file}"),
    "nftables": OnHostCheck("nft -c -f {file}"),
    "nginx": OnHostCheck("nginx -t -q", live=True),
    "chrony": OnHostCheck("chronyd -p -f {file} >/dev/null"),
    "sshd": OnHostCheck("sshd -t", live=True),
    "wireguard": OnHostCheck("wg-quick strip {file} >/dev/null"),
    "promtool": OnHostCheck("promtool check config --syntax-only {file}"),
    "ifupdown": OnHostCheck("ifup --no-act --all --interfaces={file} >/dev/null"),
    "apt-config": OnHostCheck("apt-config -c {file} dump >/dev/null"),
    "shell-env": OnHostCheck("sh -n {file}"),
}


def install_command(validator: str | None, staged: str, destination: str, mode: str, owner: str,
                    group: str) -> str:
    """Shell that checks and installs `staged` as `destination`, leaving the old file if the check fails."""
    install = f"install -D -m {mode} -o {owner} -g {group} {staged} {destination}"
    check = ON_HOST.get(validator or "")
    if check is None:  # checked offline only (journald, file_sd, MDM payloads, switch configs)
        return install
    if not check.live:
        return f"{check.command.format(file=staged)} && {install}"
    backup = f"{destination}.schoolnet-previous"
    return (f"{{ [ ! -e {destination} ] || cp -p {destination} {backup}; }} && {install} && "
            f"{{ {check.command.format(file=destination)} || {{ [ -e {backup} ] && mv -f {backup} {destination} "
            f"|| rm -f {destination}; false; }}; }}")
