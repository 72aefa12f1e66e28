"""The lab's package cache: nginx as a caching proxy for the Debian archive, started by the lab.

Every lab host installs its packages through it, so a fresh machine downloads each
package once however many hosts install it.  A fleet's first deploy has every host ask
for the same index files in the same second; nginx's cache lock fetches each file once
and hands it to every waiter.  (apt-cacher-ng, used before, answered such bursts with
503s, empty 200s and truncated bodies: 7 of 18 simultaneous `apt-get update` hung.)

Package files and by-hash indexes never change under their names and are kept for weeks;
everything else under dists/ (the Release files that name them) is checked again after a
few minutes.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from schoolnet.lab.image import SOURCES

WORKER_USER = "www-data"  # a base-passwd account: present on every Debian machine


def mirrors() -> dict[str, str]:
    """archive host -> upstream name, for each archive the lab's hosts use."""
    hosts = sorted({urlsplit(url).hostname or "" for url in SOURCES} - {""})
    return {host: f"archive{number}" for number, host in enumerate(hosts)}


def _location(pattern: str, valid: str) -> str:
    return f"""        location {pattern} {{
            if ($archive = "") {{ return 403; }}  # the lab's hosts reach the Debian archive, nothing else
            proxy_pass http://$archive;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_cache apt;
            proxy_cache_key $host$uri;
            proxy_cache_lock on;              # one fetch per file, however many hosts ask at once
            proxy_cache_lock_timeout 10m;
            proxy_cache_lock_age 10m;
            proxy_cache_revalidate on;
            proxy_cache_use_stale error timeout updating;
            proxy_cache_valid 200 {valid};
        }}
"""


def config(cache: Path, run: Path, logs: Path, port: int) -> str:
    upstreams = "".join(f"    upstream {name} {{ server {host}:80; keepalive 8; }}\n"
                        for host, name in mirrors().items())
    archives = "".join(f"        {host} {name};\n" for host, name in mirrors().items())
    return f"""# The lab's package cache (written by `schoolnet lab up`; see schoolnet.lab.aptcache)
user {WORKER_USER};
worker_processes 2;
daemon off;
pid {run}/apt-cache.pid;
error_log {logs}/apt-cache.error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {logs}/apt-cache.access.log;
    client_body_temp_path {cache}/.body;
    proxy_temp_path {cache}/.proxy;
    proxy_cache_path {cache}/files levels=1:2 keys_zone=apt:16m max_size=20g inactive=60d use_temp_path=off;
    map $host $archive {{
        default "";
{archives}    }}
{upstreams}    server {{
        listen 127.0.0.1:{port};
{_location("~ /by-hash/", "60d")}{_location("~ /dists/", "5m")}{_location("/", "60d")}    }}
}}
"""
