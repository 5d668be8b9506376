import gzip
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import pytest

from tests.cohorts.download.conftest import REAL_RETRIEVE
from tmeprog.cohorts.download import cache
from tmeprog.cohorts.download.cache import CorruptCacheError, RemoteFile
from tmeprog.cohorts.download.geo import parse_series_matrix
from tmeprog.errors import DownloadError

PAYLOAD = b"gene\tS1\tS2\nESR1\t1.0\t2.0\n" * 200


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A loopback HTTP server serving one file; counts the GET requests it answers."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "table.txt").write_bytes(PAYLOAD)
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def do_GET(self):  # noqa: N802 - http.server naming
            hits.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(cache, "_retrieve", REAL_RETRIEVE)
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_data_dir_follows_env_and_defaults_to_data(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.DATA_ENV, str(tmp_path / "x"))
    assert cache.cohort_dir("metabric") == tmp_path / "x" / "metabric"
    monkeypatch.delenv(cache.DATA_ENV)
    assert cache.data_dir() == Path("data")


def test_download_records_hash_and_is_not_repeated(server):
    base, hits = server
    rf = RemoteFile("table.txt", f"{base}/table.txt")
    assert not cache.is_cached("demo", [rf])
    (path,) = cache.fetch("demo", [rf])
    assert path.read_bytes() == PAYLOAD
    side = path.with_name("table.txt.sha256").read_text().split()
    assert side[0] == hashlib.sha256(PAYLOAD).hexdigest()
    assert side[1] == rf.url
    assert cache.is_cached("demo", [rf])
    cache.fetch("demo", [rf])
    assert len(hits) == 1


def test_known_hash_is_checked_and_bad_download_is_not_kept(server):
    base, _ = server
    good = RemoteFile("table.txt", f"{base}/table.txt", hashlib.sha256(PAYLOAD).hexdigest())
    cache.fetch("ok", [good])
    bad = RemoteFile("table.txt", f"{base}/table.txt", "0" * 64)
    with pytest.raises(DownloadError, match="expected SHA-256"):
        cache.fetch("bad", [bad])
    assert not (cache.cohort_dir("bad") / "table.txt").exists()


def test_altered_cache_file_is_reported_with_the_fix(server):
    base, _ = server
    rf = RemoteFile("table.txt", f"{base}/table.txt")
    (path,) = cache.fetch("demo", [rf])
    path.write_bytes(PAYLOAD[: len(PAYLOAD) // 2])  # truncated after the download
    with pytest.raises(CorruptCacheError) as err:
        cache.fetch("demo", [rf])
    msg = str(err.value)
    assert "delete" in msg and "tmeprog cohorts fetch demo" in msg and str(path) in msg


def test_missing_remote_file_says_refused(server):
    base, _ = server
    with pytest.raises(DownloadError, match="refused"):
        cache.fetch("demo", [RemoteFile("nope.txt", f"{base}/nope.txt")])


def test_unreachable_host_gives_clear_download_error(monkeypatch):
    monkeypatch.setattr(cache, "_retrieve", REAL_RETRIEVE)
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rf = RemoteFile("x.txt", f"http://127.0.0.1:{port}/x.txt")
    with pytest.raises(DownloadError) as err:
        cache.fetch("demo", [rf])
    msg = str(err.value)
    assert "could not reach 127.0.0.1" in msg
    assert "tmeprog cohorts fetch demo" in msg
    assert str(cache.cohort_dir("demo")) in msg
    assert not (cache.cohort_dir("demo") / "x.txt").exists()


def test_file_placed_by_hand_is_accepted_then_guarded():
    rf = RemoteFile("hand.txt", "https://example.org/hand.txt")
    d = cache.cohort_dir("demo")
    d.mkdir(parents=True)
    (d / "hand.txt").write_bytes(PAYLOAD)
    assert cache.verify("demo", rf) == d / "hand.txt"
    assert (d / "hand.txt.sha256").read_text().split()[0] == hashlib.sha256(PAYLOAD).hexdigest()
    (d / "hand.txt").write_bytes(PAYLOAD + b"x")
    with pytest.raises(CorruptCacheError, match="recorded when it was downloaded"):
        cache.verify("demo", rf)


def test_empty_cache_file_is_corrupt():
    rf = RemoteFile("e.txt", "https://example.org/e.txt")
    d = cache.cohort_dir("demo")
    d.mkdir(parents=True)
    (d / "e.txt").write_bytes(b"")
    with pytest.raises(CorruptCacheError, match="empty"):
        cache.verify("demo", rf)


def test_truncated_last_row_is_detected(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("a\tb\tc\n1\t2\t3\n4\t5")
    with pytest.raises(CorruptCacheError, match="truncated"):
        cache.check_last_line("demo", p, 3)
    p.write_text("a\tb\tc\n1\t2\t3\n4\t5\t\n")  # an empty last field is complete
    cache.check_last_line("demo", p, 3)


def test_truncated_gzip_becomes_corrupt_cache_error(tmp_path):
    text = "!Series_title\t\"t\"\n!Sample_geo_accession\t\"GSM1\"\n" + "x" * 20000
    p = tmp_path / "m.txt.gz"
    blob = gzip.compress(text.encode())
    p.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CorruptCacheError, match="truncated or corrupted"):
        parse_series_matrix(p, "demo")


def test_malformed_matrix_row_becomes_corrupt_cache_error(tmp_path):
    from tmeprog.cohorts.download.parsing import read_matrix

    p = tmp_path / "m.txt"
    p.write_text("gene\tS1\tS2\nESR1\t1\t2\nERBB2\t1\t2\t3\t4\n")
    with pytest.raises(CorruptCacheError, match="delete"), cache.reading("demo", p):
        read_matrix(p)
