"""A revision's inventory, templates and roles as plain files, read from git without a checkout.

`changes` compares two revisions.  A committed one is copied out of the object store into
a private directory with one `git ls-tree` and one `git cat-file --batch` (thousands of
files in one process each, never one `git show` per file); the working tree is used in
place.  Neither touches the index, HEAD or any file of the working tree.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from schoolnet.contained import beneath
from schoolnet.processes import Process

TEMPLATES, ROLES = "templates", "roles"
BLOB_MODES = frozenset({"100644", "100755"})  # symbolic links and submodules are not inventory
TIMEOUT = 300


class RevisionError(Exception):
    """A revision or repository that cannot be used: a usage error, said in one line."""


@dataclass(frozen=True)
class Repository:
    """The git work tree that holds the inventory, and where the inventory sits inside it."""

    toplevel: Path
    inventory: str  # e.g. "inventory": the inventory's path inside the repository, slash-separated

    def git(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return _git(["-C", str(self.toplevel), *args], stdin)

    def resolve(self, revision: str) -> str:
        """The commit a revision names, or RevisionError in one line."""
        if revision.startswith("-"):
            raise RevisionError(f"unknown revision {revision!r}")
        found = self.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
        if found.returncode != 0:
            raise RevisionError(f"unknown revision {revision!r} (not a commit in {self.toplevel})")
        return found.stdout.decode().strip()

    def default_base(self) -> tuple[str, str]:
        """(name, commit) of the merge base of HEAD with the default branch: origin/HEAD when set,
        else main or master, whichever exists."""
        for name in self._default_branches():
            base = self.git("merge-base", "HEAD", name)
            if base.returncode == 0:
                return f"merge base with {name}", base.stdout.decode().strip()
        raise RevisionError("no default branch to compare with (no origin/HEAD, main or master): give BASE")

    def _default_branches(self) -> list[str]:
        names = []
        remote = self.git("rev-parse", "--abbrev-ref", "--verify", "--quiet", "origin/HEAD")
        if remote.returncode == 0 and remote.stdout.strip():
            names.append(remote.stdout.decode().strip())
        for name in ("main", "master"):
            if self.git("rev-parse", "--verify", "--quiet", f"refs/heads/{name}").returncode == 0:
                names.append(name)
        return names

    @property
    def paths(self) -> tuple[str, str, str]:
        return (self.inventory, TEMPLATES, ROLES)

    def commits(self, base: str, head: str | None) -> list[Commit]:
        """The commits in `base..head` (HEAD for the working tree), newest first: what the range is made of."""
        found = self.git("log", "-z", "--no-show-signature", "--format=%H%x1f%an%x1f%aI%x1f%s", "--end-of-options",
                         f"{base}..{head or 'HEAD'}")
        if found.returncode != 0:
            return []
        commits = []
        for entry in found.stdout.decode(errors="replace").split("\0"):
            parts = entry.strip("\n").split("\x1f")
            if len(parts) == 4:
                commits.append(Commit(*parts))
        return commits


@dataclass(frozen=True)
class Commit:
    """One commit of the range, as `git log` says it: who wrote it, when, and its subject line."""

    commit: str
    author: str
    date: str  # ISO 8601 with the author's offset
    subject: str

    def as_dict(self) -> dict[str, str]:
        return {"commit": self.commit, "author": self.author, "date": self.date, "subject": self.subject}


def _git(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], input=stdin, capture_output=True, timeout=TIMEOUT, check=False)
    except FileNotFoundError:
        raise RevisionError("git is not installed here: changes reads revisions from git (apt-get install git)") \
            from None


def repository_of(inventory: Path) -> Repository:
    """The repository whose work tree holds `inventory`; RevisionError when there is none."""
    where = inventory if inventory.is_dir() else inventory.parent
    found = _git(["-C", str(where), "rev-parse", "--show-toplevel", "--show-prefix"])
    if not where.is_dir() or found.returncode != 0:
        raise RevisionError(f"{inventory} is not inside a git work tree: changes compares git revisions")
    toplevel, prefix = found.stdout.decode().split("\n")[:2]
    relative = (prefix.rstrip("/") + ("/" + inventory.name if where != inventory else "")).strip("/")
    return Repository(Path(toplevel), relative or ".")


@dataclass
class Snapshot:
    """One side of a comparison: where its files are, and a digest of each (repository-relative)."""

    name: str  # how the user named it: "main", "HEAD~1", "merge base with main"; "the working tree"
    commit: str | None  # None for the working tree
    root: Path  # the directory the repository-relative paths are relative to
    repository: Repository
    files: dict[str, str] = field(default_factory=dict)  # path -> sha1 of its bytes

    @property
    def label(self) -> str:
        if self.commit is None:
            return self.name
        return short(self.commit) if self.commit.startswith(self.name) else f"{self.name} ({short(self.commit)})"

    @property
    def inventory(self) -> Path:
        return self.root / self.repository.inventory

    @property
    def templates(self) -> Path:
        return self.root / TEMPLATES

    @property
    def roles(self) -> Path:
        return self.root / ROLES

    def relative(self, path: Path | str) -> str:
        """A path of this side as the repository names it: `inventory/schools/...`."""
        return Path(os.path.relpath(os.path.realpath(path), os.path.realpath(self.root))).as_posix()

    def relabel(self, text: str) -> str:
        """Messages about a copied revision name its files as the repository does, not the private copy."""
        if self.commit is None:
            return text
        return text.replace(f"{os.path.realpath(self.root)}/", "").replace(f"{self.root}/", "")


def work_tree(repository: Repository) -> Snapshot:
    """The working tree as it is: tracked files and new ones git does not ignore."""
    listed = repository.git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *repository.paths)
    if listed.returncode != 0:
        raise RevisionError(f"git ls-files failed in {repository.toplevel}: {_first_line(listed.stderr)}")
    snapshot = Snapshot("the working tree", None, repository.toplevel, repository)
    for name in sorted({n for n in listed.stdout.decode().split("\0") if n}):
        path = repository.toplevel / name
        if path.is_file() and not path.is_symlink():
            snapshot.files[name] = hashlib.sha1(path.read_bytes()).hexdigest()
    return snapshot


def materialise(repository: Repository, commit: str, name: str, into: Path) -> Snapshot:
    """Copy the revision's inventory, templates and roles into `into` (a fresh private directory)."""
    listed = repository.git("ls-tree", "-r", "-z", "--full-tree", commit, "--", *repository.paths)
    if listed.returncode != 0:
        raise RevisionError(f"cannot list {name}: {_first_line(listed.stderr)}")
    wanted: dict[str, list[str]] = {}  # blob -> paths (identical files are read once)
    for entry in listed.stdout.decode().split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        mode, kind, blob = meta.split(" ")
        if kind == "blob" and mode in BLOB_MODES:
            wanted.setdefault(blob, []).append(path)
    snapshot = Snapshot(name, commit, into, repository)
    into.mkdir(parents=True, exist_ok=True)
    made: set[Path] = set()
    for blob, data in _read_blobs(repository, list(wanted)):
        digest = hashlib.sha1(data).hexdigest()
        for path in wanted[blob]:
            target = beneath(into, path, resolve=False)  # git paths have no '..'; refused again here
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_bytes(data)
            snapshot.files[path] = digest
    snapshot.files = dict(sorted(snapshot.files.items()))
    return snapshot


def _read_blobs(repository: Repository, blobs: list[str]) -> list[tuple[str, bytes]]:
    """Every blob's bytes from one `git cat-file --batch`: `<sha> blob <size>\\n<bytes>\\n` each."""
    if not blobs:
        return []
    found = repository.git("cat-file", "--batch", stdin="".join(f"{b}\n" for b in blobs).encode())
    if found.returncode != 0:
        raise RevisionError(f"git cat-file failed: {_first_line(found.stderr)}")
    out, offset, result = found.stdout, 0, []
    for blob in blobs:
        end = out.index(b"\n", offset)
        header = out[offset:end].split(b" ")
        if len(header) != 3 or header[1] != b"blob":
            raise RevisionError(f"git cat-file: {blob} is missing from the repository")
        size = int(header[2])
        result.append((blob, out[end + 1:end + 1 + size]))
        offset = end + 1 + size + 1
    return result


PREFIX = "schoolnet-changes-"
OWNER = ".owner.json"  # in each working tree: the process that made it (PID, start time, boot id)


def private_directory() -> Path:
    """Where copied revisions and their renders go: a 0700 directory the caller removes (`remove`).

    In memory (/dev/shm) unless TMPDIR says otherwise: the renders hold decrypted secrets, which
    then never reach a disk, and a render's thousands of small files cost a third of the time.  The
    directory names the process that made it, so a run that was killed (SIGKILL leaves no chance to
    clean up) has its tree removed by the next run (`remove_stale`)."""
    memory = Path("/dev/shm")
    where = None if os.environ.get("TMPDIR") or not (memory.is_dir() and os.access(memory, os.W_OK)) else memory
    remove_stale(Path(where or tempfile.gettempdir()))
    directory = Path(os.path.realpath(tempfile.mkdtemp(prefix=PREFIX, dir=where)))
    (directory / OWNER).write_text(json.dumps(Process.of(os.getpid()).dump()), encoding="utf-8")
    return directory


def remove_stale(parent: Path) -> list[Path]:
    """The working trees of runs that ended without removing them: this user's, whose recorded process is
    not running any more (an unreadable or missing record is left alone: it may be a run just starting)."""
    removed: list[Path] = []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(PREFIX)]
    except OSError:
        return removed
    for directory in candidates:
        try:
            if directory.is_symlink() or not directory.is_dir() or directory.stat().st_uid != os.getuid():
                continue
            owner = Process.load(json.loads((directory / OWNER).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if owner.verifiable and not owner.running():
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def short(commit: str) -> str:
    return commit[:10]


def _first_line(stderr: bytes) -> str:
    text = stderr.decode(errors="replace").strip()
    return text.splitlines()[0] if text else "no reason given"
