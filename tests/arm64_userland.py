"""A real arm64 Debian userland for the Coral app's tests, run under qemu-user.

Made from Debian's own packages: apt resolves the dependency closure of ``PACKAGES``
for the suite (with an empty dpkg status, so nothing of the host counts) and downloads
the .debs; each is unpacked with ``dpkg-deb --fsys-tarfile | tar -x`` (no maintainer
scripts run, nothing runs under emulation), the way ``dpkg -x`` does but keeping the
merged-/usr symlinks (``bin -> usr/bin``...) that Trixie ships. The PyPI runtime wheel
is unpacked onto Debian's ``/usr/local/lib/python3.X/dist-packages``.

Measured on this 2-core host (Trixie arm64, the packages below, 198 MB unpacked): this way
took 6.2 s from nothing (apt's download included); ``debootstrap --arch=arm64
--variant=minbase --include=python3,python3-numpy,python3-pil trixie`` took 328 s, because
its second stage runs every maintainer script under qemu. What the skipped maintainer
scripts would have done that the app needs is redone here: the libblas/liblapack
alternatives links numpy loads (``link_alternatives``).

The result is cached under ``~/.cache/effkit-test`` (``$EFFKIT_TEST_CACHE``), keyed by the
suite, architecture, package list and wheel, and staged under a temporary name, so a
rerun on the same machine reuses it and a broken build never stays.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# What the rendered scripts and install.sh --dry-run need: bash and coreutils for the
# script, dpkg for `dpkg --print-architecture`, base-files for /etc/os-release.
PACKAGES = ("base-files", "bash", "coreutils", "dpkg", "sed", "grep", "python3", "python3-numpy",
            "python3-pil")


def debian_mirror() -> str:
    """The Debian archive this machine's apt already uses (EFFKIT_DEBIAN_MIRROR overrides):
    the first URI ending in /debian in /etc/apt/sources.list.d/*.sources or a sources.list.
    The userland comes from the same place as the host's own packages (its proxy or local
    mirror included)."""
    if os.environ.get("EFFKIT_DEBIAN_MIRROR"):
        return os.environ["EFFKIT_DEBIAN_MIRROR"].rstrip("/")
    apt = Path("/etc/apt")
    for path in [*sorted((apt / "sources.list.d").glob("*.sources")), apt / "sources.list",
                 *sorted((apt / "sources.list.d").glob("*.list"))]:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if words[:1] not in (["URIs:"], ["deb"]):  # deb822 and one-line formats
                continue
            for uri in (w.rstrip("/") for w in words[1:] if "://" in w):
                if uri.endswith("/debian"):
                    return uri
    raise RuntimeError("no Debian archive in /etc/apt: set EFFKIT_DEBIAN_MIRROR to one")


@dataclass(frozen=True)
class Userland:
    root: Path
    suite: str
    arch: str
    seconds: float  # how long the build took (0.0: from the cache)


def cache_root() -> Path:
    return Path(os.environ.get("EFFKIT_TEST_CACHE") or Path.home() / ".cache" / "effkit-test")


def cache_key(suite: str, arch: str, packages: tuple[str, ...], wheel_sha256: str) -> str:
    text = "\n".join([suite, arch, debian_mirror(), *sorted(packages), wheel_sha256])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _apt(apt_dir: Path, arch: str, *args: str) -> None:
    options = [f"-oDir={apt_dir}", f"-oDir::State::status={apt_dir / 'status'}",
               f"-oAPT::Architecture={arch}", f"-oAPT::Architectures::={arch}",
               "-oAPT::Install-Recommends=false", "-oAcquire::Languages=none",
               "-oDebug::NoLocking=true", "-qq"]
    subprocess.run(["apt-get", *options, *args], check=True, capture_output=True, text=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=900)


def download_debs(apt_dir: Path, suite: str, arch: str, packages: tuple[str, ...]) -> list[Path]:
    """The .debs of ``packages`` and everything they depend on, from Debian's archive."""
    (apt_dir / "etc" / "apt" / "sources.list.d").mkdir(parents=True)
    (apt_dir / "etc" / "apt" / "preferences.d").mkdir()
    (apt_dir / "etc" / "apt" / "apt.conf.d").mkdir()
    (apt_dir / "var" / "cache" / "apt" / "archives" / "partial").mkdir(parents=True)
    (apt_dir / "var" / "lib" / "apt" / "lists" / "partial").mkdir(parents=True)
    (apt_dir / "status").write_text("")
    (apt_dir / "etc" / "apt" / "sources.list").write_text(
        f"deb [arch={arch} signed-by={KEYRING}] {debian_mirror()} {suite} main\n")
    _apt(apt_dir, arch, "update")
    _apt(apt_dir, arch, "install", "--download-only", "-y", *packages)
    return sorted((apt_dir / "var" / "cache" / "apt" / "archives").glob("*.deb"))


def unpack_deb(deb: Path, root: Path) -> None:
    """``dpkg -x`` that keeps the directory symlinks of merged /usr."""
    tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "--keep-directory-symlink", "-C", str(root)], stdin=tar.stdout,
                   check=True)
    tar.stdout.close()
    if tar.wait() != 0:
        raise RuntimeError(f"dpkg-deb cannot read {deb.name}")


def python_version(root: Path) -> str:
    """The userland's python3 version as X.Y, from its stdlib folder (no emulation)."""
    (lib,) = [p for p in (root / "usr" / "lib").glob("python3.*") if (p / "os.py").is_file()]
    return lib.name.removeprefix("python")


def build_userland(dest: Path, suite: str, arch: str, packages: tuple[str, ...], wheel: Path) -> None:
    """Make the userland in ``dest`` (which must not exist)."""
    dest.mkdir(parents=True)
    for name in ("bin", "sbin", "lib"):  # merged /usr, as Trixie's base-files lays it out
        (dest / name).symlink_to(f"usr/{name}")
    (dest / "usr" / "bin").mkdir(parents=True)
    (dest / "usr" / "sbin").mkdir()
    (dest / "usr" / "lib").mkdir()
    for sub in ("tmp", "proc", "dev", "sys", "root"):
        (dest / sub).mkdir(exist_ok=True)
    (dest / "tmp").chmod(0o1777)
    with tempfile.TemporaryDirectory(prefix="effkit-apt-") as apt_dir:
        for deb in download_debs(Path(apt_dir), suite, arch, packages):
            unpack_deb(deb, dest)
    site = dest / "usr" / "local" / "lib" / f"python{python_version(dest)}" / "dist-packages"
    site.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as whl:
        whl.extractall(site)
    for so in site.rglob("*.so*"):
        so.chmod(0o755)
    link_alternatives(dest)


def link_alternatives(root: Path) -> None:
    """What libblas3's and liblapack3's maintainer scripts do with update-alternatives:
    ``<triplet>/libblas.so.3 -> blas/libblas.so.3`` (numpy links against it)."""
    for folder in (root / "usr" / "lib").glob("*-linux-gnu*/*"):
        if folder.name not in ("blas", "lapack") or not folder.is_dir():
            continue
        for lib in folder.glob("lib*.so.3"):
            link = folder.parent / lib.name
            if not link.exists():
                link.symlink_to(f"{folder.name}/{lib.name}")


def userland(suite: str, arch: str, wheel: Path, wheel_sha256: str,
             packages: tuple[str, ...] = PACKAGES) -> Userland:
    """The cached userland for these inputs, built first if it is not there yet."""
    import time

    root = cache_root() / f"{suite}-{arch}-{cache_key(suite, arch, packages, wheel_sha256)}"
    if (root / "usr" / "bin" / "python3").exists():
        return Userland(root, suite, arch, 0.0)
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
    started = time.monotonic()
    try:
        build_userland(staging / "root", suite, arch, packages, wheel)
        try:
            (staging / "root").rename(root)
        except OSError:
            if not (root / "usr" / "bin" / "python3").exists():
                raise
            # another test process finished the same userland first: use that one
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Userland(root, suite, arch, time.monotonic() - started)
