"""Hash-checked downloads, against a server this test starts on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading

import pytest

from course_lib.datasets import fetch_file, load_h5ad
from tests.conftest import prepare_small


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    _CountingHandler.requests = []
    handler = functools.partial(_CountingHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}", _CountingHandler.requests
    httpd.shutdown()
    httpd.server_close()


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_downloads_once_and_reads_h5ad(server, tmp_path):
    served, base, requests = server
    prepare_small(n_cells=200).write_h5ad(served / "pbmc.h5ad")
    digest = _sha256(served / "pbmc.h5ad")
    adata = load_h5ad(f"{base}/pbmc.h5ad", digest, directory=tmp_path / "cache")
    assert adata.n_obs > 0 and "X_pca_harmony" in adata.obsm
    load_h5ad(f"{base}/pbmc.h5ad", digest, directory=tmp_path / "cache")
    assert requests == ["/pbmc.h5ad"]  # the second call used the verified local copy


def test_wrong_hash_is_refused_and_not_kept(server, tmp_path):
    served, base, _ = server
    (served / "data.bin").write_bytes(b"tampered content")
    with pytest.raises(ValueError, match="SHA256 hash of downloaded file"):
        fetch_file(f"{base}/data.bin", "0" * 64, directory=tmp_path / "cache", progress=False)
    assert not any((tmp_path / "cache").glob("*data.bin"))


def test_corrupted_local_copy_is_downloaded_again(server, tmp_path):
    served, base, requests = server
    (served / "data.bin").write_bytes(b"the real content")
    digest = _sha256(served / "data.bin")
    path = fetch_file(f"{base}/data.bin", digest, directory=tmp_path / "cache", progress=False)
    path.write_bytes(b"bit rot")
    path = fetch_file(f"{base}/data.bin", digest, directory=tmp_path / "cache", progress=False)
    assert path.read_bytes() == b"the real content"
    assert len(requests) == 2
