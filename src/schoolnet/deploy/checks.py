"""The on-host check of each kind of file, run by the host before a new file goes live.

`{file}` is replaced by the (quoted) path of the file to check.  A check with a `root`
reads only the whole configuration under that directory (`nginx -t`, `sshd -t`): it runs
in a private mount namespace where a copy of the directory, with the new files in place,
is mounted over the real one, so the whole new configuration is checked before any file
of it is installed (`schoolnet.deploy.transaction`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OnHostCheck:
    program: str
    command: str
    root: str = ""  # the configuration directory the program reads whole, or "" for a file alone


ON_HOST: dict[str, OnHostCheck] = {
    "dnsmasq": OnHostCheck("dnsmasq", "dnsmasq --test --conf-file={file}"),
    "unbound": OnHostCheck("unbound-checkconf", "unbound-checkconf {file}"),
    "named-zone": OnHostCheck("named-checkzone",
                              "named-checkzone \"$(sed -n 's/^\\$ORIGIN \\(.*\\)\\.$/\\1/p' {file})\" {file}"),
    "named-conf": OnHostCheck("named-checkconf", "named-checkconf {file}"),
    "nftables": OnHostCheck("nft", "nft -c -f {file}"),
    "nginx": OnHostCheck("nginx", "nginx -t -q", root="/etc/nginx"),
    "chrony": OnHostCheck("chronyd", "chronyd -p -f {file} >/dev/null"),
    "sshd": OnHostCheck("sshd", "sshd -t", root="/etc/ssh"),
    "wireguard": OnHostCheck("wg-quick", "wg-quick strip {file} >/dev/null"),
    "promtool": OnHostCheck("promtool", "promtool check config --syntax-only {file}"),
    "ifupdown": OnHostCheck("ifup", "ifup --no-act --all --interfaces={file} >/dev/null"),
    "apt-config": OnHostCheck("apt-config", "apt-config -c {file} dump >/dev/null"),
    "shell-env": OnHostCheck("sh", "sh -n {file}"),
}
