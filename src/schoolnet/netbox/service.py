"""`schoolnet netbox up|down|status`: a private NetBox on 127.0.0.1, for the demo, the tests and rehearsal.

Four processes, each recorded (PID, boot id, start time) in the instance's state file so that
`down` stops exactly those: PostgreSQL 15 and Redis from Debian, each a private instance on its
own port and directory; gunicorn serving NetBox from the runtime (see runtime.py); and nginx in
front of it for NetBox's static files.  Migrating an empty NetBox database takes 4-10 minutes,
so the migrated cluster is kept in the cache directory and copied for every new instance.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import string
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schoolnet.atomic import write_atomically
from schoolnet.netbox import paths
from schoolnet.netbox.runtime import SERVICE_USER, SITE, ensure_runtime, in_root, runtime_dir
from schoolnet.processes import Process

Say = Callable[[str], None]
SERVICES = ("postgres", "redis", "gunicorn", "nginx")  # started in this order, stopped in reverse
CACHE_VERSION = "1"  # bump when the cached cluster's recipe changes


class ServiceError(Exception):
    """A one-line reason `up`, `down` or `status` could not do its work."""


@dataclass(frozen=True)
class Instance:
    """A running local NetBox, as a client reaches it."""

    url: str
    token: str
    username: str
    password_file: Path


def instance_dir() -> Path:
    return paths.INSTANCE_DIR


def _cluster_cache() -> Path:
    return paths.CACHE_DIR / f"postgres15-netbox-{paths.NETBOX_VERSION}-{CACHE_VERSION}.tar.zst"


def _load_state() -> dict[str, Process]:
    if not paths.STATE.exists():
        return {}
    try:
        data = json.loads(paths.STATE.read_text())
        return {name: Process.load(record) for name, record in data.get("processes", {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ServiceError(f"{paths.STATE}: not a state file schoolnet wrote; move it aside and run "
                           "'schoolnet netbox up' again") from None


def _save_state(processes: dict[str, Process]) -> None:
    data = {"processes": {name: process.dump() for name, process in processes.items()},
            "url": local_url()}
    write_atomically(paths.STATE, json.dumps(data, indent=2) + "\n")


def local_url() -> str:
    return f"http://{paths.ADDRESS}:{paths.HTTP_PORT}"


def local_instance() -> Instance | None:
    """The local NetBox's address and token, when `up` has written them."""
    if not paths.TOKEN_FILE.exists():
        return None
    return Instance(local_url(), paths.TOKEN_FILE.read_text().strip(), "admin", paths.PASSWORD_FILE)


def up(say: Say) -> Instance:
    """Start whatever of the four services is not running; create the instance the first time."""
    problem = paths.settings_problem()
    if problem:
        raise ServiceError(problem)
    root = ensure_runtime(say)
    processes = {name: p for name, p in _load_state().items() if p.running()}
    if all(name in processes for name in SERVICES) and local_instance():
        say(f"NetBox is up already at {local_url()}")
        return _wait_ready(say)
    _check_ports([name for name in SERVICES if name not in processes])
    home = paths.INSTANCE_DIR
    for sub in ("logs", "run", "conf", "media", "nginx"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    home.chmod(0o711)
    _write_configuration(home)
    migrated = home / "migrated"  # the cluster holds NetBox's schema: an interrupted first start never counts
    if (home / "pgdata").exists() and paths.TOKEN_FILE.exists():
        migrated.touch()  # an instance that started whole before this marker existed
    fresh = not migrated.exists()
    if fresh:
        if "postgres" in processes:  # left by a first start that was interrupted
            processes.pop("postgres").stop(30)
            _save_state(processes)
        shutil.rmtree(home / "pgdata", ignore_errors=True)
        _prepare_cluster(home, say)
    steps: dict[str, Callable[[], Process]] = {
        "postgres": lambda: _start_postgres(home),
        "redis": lambda: _start_redis(home),
        "gunicorn": lambda: _start_gunicorn(home, root),
        "nginx": lambda: _start_nginx(home, root),
    }
    try:
        for name in SERVICES:
            if name == "gunicorn" and not paths.TOKEN_FILE.exists():
                _create_admin(home, root, say)
            if name not in processes:
                say(f"starting {name}")
                processes[name] = steps[name]()
                _save_state(processes)
                if name == "postgres":
                    _wait_postgres(home)
                    if fresh and not _cluster_cache().exists():
                        _migrate(home, root, say)
                        processes.pop("postgres").stop(30)
                        _cache_cluster(home, say)
                        processes["postgres"] = _start_postgres(home)
                        _save_state(processes)
                        _wait_postgres(home)
                    migrated.touch()
    except BaseException:
        _save_state(processes)
        raise
    return _wait_ready(say)


def down(say: Say, wipe: bool = False) -> None:
    """Stop the recorded processes, newest first; with `wipe`, delete the instance's data too."""
    processes = _load_state()
    for name in reversed(SERVICES):
        process = processes.get(name)
        if process is None:
            continue
        if process.running():
            say(f"stopping {name} (pid {process.pid})")
            process.stop(30)
        elif not process.verifiable:
            say(f"{name}: pid {process.pid} cannot be verified as the one started; left alone")
    if paths.STATE.exists():
        _save_state({})
    if wipe and paths.INSTANCE_DIR.exists():
        say(f"deleting {paths.INSTANCE_DIR}")
        shutil.rmtree(paths.INSTANCE_DIR)


def status() -> dict[str, Any]:
    """Each service's state, the address and the NetBox version when it answers."""
    processes = _load_state()
    services = {name: ("running" if name in processes and processes[name].running() else "stopped")
                for name in SERVICES}
    report: dict[str, Any] = {"url": local_url(), "services": services, "netbox": None,
                              "token_file": str(paths.TOKEN_FILE), "cache": str(_cluster_cache()),
                              "cache_ready": _cluster_cache().exists()}
    instance = local_instance()
    if instance and all(state == "running" for state in services.values()):
        try:
            report["netbox"] = _api_status(instance).get("netbox-version")
        except (OSError, ValueError):
            report["netbox"] = None
    return report


# --- the instance's files --------------------------------------------------------------------


def _write_configuration(home: Path) -> None:
    """NetBox's configuration, once per instance: its secret key and token pepper are its own."""
    conf = home / "conf" / "configuration.py"
    if conf.exists():
        return
    alphabet = string.ascii_letters + string.digits
    secret_key = "".join(secrets.choice(alphabet) for _ in range(60))
    pepper = "".join(secrets.choice(alphabet) for _ in range(60))
    redis = {"HOST": paths.ADDRESS, "PORT": paths.REDIS_PORT, "SSL": False}
    settings: dict[str, Any] = {
        "ALLOWED_HOSTS": [paths.ADDRESS, "localhost"],
        "DATABASES": {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "netbox", "USER": "netbox",
                                  "PASSWORD": "", "HOST": paths.ADDRESS, "PORT": paths.POSTGRES_PORT,
                                  "CONN_MAX_AGE": 300}},
        "REDIS": {"tasks": {**redis, "DATABASE": 0}, "caching": {**redis, "DATABASE": 1}},
        "SECRET_KEY": secret_key,
        "API_TOKEN_PEPPERS": {1: pepper},
        "ISOLATED_DEPLOYMENT": True,
        "CENSUS_REPORTING_ENABLED": False,
        "MAX_PAGE_SIZE": 2000,
        "CHANGELOG_RETENTION": 0,  # kept for ever: `drift` names who changed an object and when
    }
    text = "".join(f"{name} = {value!r}\n" for name, value in settings.items())
    (home / "conf" / "__init__.py").write_text("")
    write_atomically(conf, text)
    conf.chmod(0o600)
    _give_to_service_user(home)


def _service_uid(root: Path) -> int:
    for line in (root / "etc" / "passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == SERVICE_USER:
            return int(fields[2])
    raise ServiceError(f"the NetBox runtime at {root} has no '{SERVICE_USER}' user: delete it and run up again")


def _give_to_service_user(home: Path) -> None:
    """conf/ and media/ are read and written by gunicorn, which runs as the runtime's service user."""
    uid = _service_uid(runtime_dir())
    for sub in ("conf", "media"):
        for path in [home / sub, *(home / sub).rglob("*")]:
            subprocess.run(["chown", "-h", f"{uid}:{uid}", str(path)], check=True)


def _prepare_cluster(home: Path, say: Say) -> None:
    """A new instance's database: a copy of the cached migrated cluster, or a new empty one."""
    data = home / "pgdata"
    partial = home / "pgdata.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    cache = _cluster_cache()
    if cache.exists():
        say("copying the cached migrated database")
        subprocess.run(["tar", "--zstd", "-xpf", str(cache), "-C", str(partial)], check=True)
    else:
        say("first start on this machine: NetBox's database will be migrated once, which takes 4-10 "
            "minutes; every later start copies the result and takes seconds")
        shutil.chown(partial, "postgres", "postgres")
        _run_checked("initdb", ["runuser", "-u", "postgres", "--", str(paths.POSTGRES_BIN / "initdb"),
                                "-D", str(partial), "-U", "netbox", "--auth=trust", "-E", "UTF8",
                                "--locale=C.UTF-8"])
    shutil.chown(partial, "postgres", "postgres")
    subprocess.run(["chown", "-R", "postgres:postgres", str(partial)], check=True)
    partial.rename(data)
    run = home / "run"
    shutil.chown(run, "postgres", "postgres")


def _cache_cluster(home: Path, say: Say) -> None:
    say(f"keeping the migrated database for next time: {_cluster_cache()}")
    cache = _cluster_cache()
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_name(cache.name + ".partial")
    _run_checked("cache the migrated database",
                 ["tar", "--zstd", "-cpf", str(partial), "-C", str(home / "pgdata"), "."])
    partial.rename(cache)


# --- the four services -----------------------------------------------------------------------


def _spawn(name: str, argv: list[str]) -> Process:
    log = (paths.LOGS / f"{name}.log").open("ab")
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    log.close()
    time.sleep(0.2)
    if child.poll() is not None:
        raise ServiceError(f"{name} exited at once (status {child.returncode}); see {paths.LOGS / (name + '.log')}")
    return Process.of(child.pid)


def _start_postgres(home: Path) -> Process:
    options = {"listen_addresses": paths.ADDRESS, "port": str(paths.POSTGRES_PORT),
               "unix_socket_directories": str(home / "run"), "fsync": "off", "synchronous_commit": "off",
               "full_page_writes": "off", "max_connections": "50"}
    argv = ["runuser", "-u", "postgres", "--", str(paths.POSTGRES_BIN / "postgres"), "-D", str(home / "pgdata")]
    for key, value in options.items():
        argv += ["-c", f"{key}={value}"]
    return _spawn("postgres", argv)


def _wait_postgres(home: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = subprocess.run([str(paths.POSTGRES_BIN / "pg_isready"), "-q", "-h", paths.ADDRESS,
                                "-p", str(paths.POSTGRES_PORT)], check=False)
        if ready.returncode == 0:
            _ensure_database()
            return
        time.sleep(0.3)
    raise ServiceError(f"PostgreSQL did not accept connections within {timeout:.0f} s; "
                       f"see {paths.LOGS / 'postgres.log'}")


def _ensure_database() -> None:
    psql = [str(paths.POSTGRES_BIN / "psql"), "-h", paths.ADDRESS, "-p", str(paths.POSTGRES_PORT), "-U", "netbox",
            "-d", "postgres", "-tAc"]
    found = subprocess.run([*psql, "SELECT 1 FROM pg_database WHERE datname = 'netbox'"],
                           capture_output=True, text=True, check=True)
    if found.stdout.strip() != "1":
        subprocess.run([*psql, "CREATE DATABASE netbox"], capture_output=True, check=True)


def _start_redis(home: Path) -> Process:
    return _spawn("redis", ["redis-server", "--bind", paths.ADDRESS, "--port", str(paths.REDIS_PORT),
                            "--save", "", "--appendonly", "no", "--dir", str(home / "run"),
                            "--protected-mode", "yes"])


def _binds(home: Path) -> dict[Path, str]:
    return {home / "conf": f"{SITE}/conf", home / "media": f"{SITE}/media"}


def _netbox(home: Path, root: Path, argv: list[str], env: dict[str, str] | None = None) -> list[str]:
    return in_root(root, argv, binds=_binds(home), user=SERVICE_USER, env={"NETBOX_ROOT": SITE, **(env or {})})


def _migrate(home: Path, root: Path, say: Say) -> None:
    say("migrating NetBox's database (4-10 minutes, once per machine)")
    started = time.monotonic()
    _run_checked("netbox migrate", _netbox(home, root, ["netbox", "migrate", "--no-input"]),
                 log=paths.LOGS / "migrate.log")
    say(f"migrated in {time.monotonic() - started:.0f} s")


def _create_admin(home: Path, root: Path, say: Say) -> None:
    """The admin user and its API token (v2), in one NetBox shell; both written to 0600 files."""
    alphabet = string.ascii_letters + string.digits
    password = "".join(secrets.choice(alphabet) for _ in range(20))
    key = "".join(secrets.choice(alphabet) for _ in range(12))
    token = "".join(secrets.choice(alphabet) for _ in range(40))
    script = (
        "import os\n"
        "from users.models import User, Token\n"
        "user, _ = User.objects.get_or_create(username='admin')\n"
        "user.is_superuser = True\nuser.is_staff = True\nuser.is_active = True\n"
        "user.set_password(os.environ['SN_PASSWORD'])\nuser.save()\n"
        "Token.objects.filter(user=user, description='schoolnet').delete()\n"
        "Token(user=user, key=os.environ['SN_KEY'], token=os.environ['SN_TOKEN'], description='schoolnet',"
        " write_enabled=True).save()\n"
    )
    say("creating NetBox's admin user and API token")
    _run_checked("create the admin user", _netbox(
        home, root, ["netbox", "nbshell", "-c", script],
        env={"SN_PASSWORD": password, "SN_KEY": key, "SN_TOKEN": token}), log=paths.LOGS / "nbshell.log")
    write_atomically(paths.PASSWORD_FILE, password + "\n")
    paths.PASSWORD_FILE.chmod(0o600)
    write_atomically(paths.TOKEN_FILE, f"nbt_{key}.{token}\n")
    paths.TOKEN_FILE.chmod(0o600)


def _start_gunicorn(home: Path, root: Path) -> Process:
    argv = ["gunicorn", "--bind", f"{paths.ADDRESS}:{paths.GUNICORN_PORT}", "--workers", str(paths.WORKERS),
            "--threads", str(paths.THREADS), "--timeout", "900", "--graceful-timeout", "10", "--chdir", "/tmp",
            "netbox.wsgi"]
    return _spawn("gunicorn", _netbox(home, root, argv))


def _start_nginx(home: Path, root: Path) -> Process:
    conf = home / "nginx" / "nginx.conf"
    temp = home / "nginx"
    conf.write_text(
        "daemon off;\nworker_processes 1;\n"
        f"pid {home / 'run' / 'nginx.pid'};\nerror_log {paths.LOGS / 'nginx-error.log'};\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "  include /etc/nginx/mime.types;\n"
        f"  access_log off;\n  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n"
        f"  server {{\n    listen {paths.ADDRESS}:{paths.HTTP_PORT};\n    client_max_body_size 100m;\n"
        f"    location /static/ {{ alias {root}{SITE}/static/; }}\n"
        f"    location / {{\n      proxy_pass http://{paths.ADDRESS}:{paths.GUNICORN_PORT};\n"
        "      proxy_set_header Host $http_host;\n      proxy_set_header X-Forwarded-Proto $scheme;\n"
        "      proxy_read_timeout 900s;\n      proxy_send_timeout 900s;\n    }\n  }\n}\n")
    return _spawn("nginx", ["nginx", "-c", str(conf), "-e", str(paths.LOGS / "nginx-error.log")])


def _check_ports(names: list[str]) -> None:
    ports = {"nginx": paths.HTTP_PORT, "postgres": paths.POSTGRES_PORT, "redis": paths.REDIS_PORT,
             "gunicorn": paths.GUNICORN_PORT}
    for name in names:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((paths.ADDRESS, ports[name]))
            except OSError:
                raise ServiceError(f"{paths.ADDRESS}:{ports[name]} (for {name}) is in use by another program; "
                                   "set SCHOOLNET_NETBOX_PORT to a free base port (it uses four)") from None


def _api_status(instance: Instance) -> dict[str, Any]:
    request = urllib.request.Request(f"{instance.url}/api/status/",
                                     headers={"Authorization": f"Bearer {instance.token}",
                                              "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        result: dict[str, Any] = json.loads(answer.read())
    return result


def _wait_ready(say: Say, timeout: float = 180) -> Instance:
    instance = local_instance()
    if instance is None:
        raise ServiceError("NetBox has no API token yet; run 'schoolnet netbox up' again")
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            version = _api_status(instance).get("netbox-version")
            say(f"NetBox {version} is up at {instance.url}")
            return instance
        except (OSError, ValueError) as exc:
            last = str(exc)
            time.sleep(1)
    raise ServiceError(f"NetBox did not answer at {instance.url}/api/status/ within {timeout:.0f} s ({last}); "
                       f"see {paths.LOGS}")


def _run_checked(what: str, argv: list[str], log: Path | None = None) -> None:
    if log is not None:
        with log.open("ab") as out:
            result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
        if result.returncode != 0:
            raise ServiceError(f"{what} failed (status {result.returncode}); see {log}")
        return
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ServiceError(f"{what} failed: {tail[0]}")
