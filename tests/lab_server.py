"""A stand-in for the lab's file server on 127.0.0.1, for the tests of the real-data path.

It serves valid 10x v3 ``.h5`` files written from the simulated counts, split by sample
under the lab's file names, behind HTTP basic auth, with a SHA-256 registry beside them.
Nothing here reaches the internet. Used by ``tests/test_lab_data.py`` (the loader) and
``tests/test_chapters_on_lab_data.py`` (every chapter on the truthless data).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import scipy.sparse as sp

from course_lib.datasets import simulate_pbmc
from course_lib.datasets.lab import LAB_FILES

USER, PASSWORD = "student", "pbmc-2025"


def write_10x_h5(path: Path, counts: sp.csr_matrix, barcodes, genes, gene_ids) -> None:
    """Write cells × genes counts in the 10x v3 layout that ``scanpy.read_10x_h5`` reads."""
    csr = sp.csr_matrix(counts, dtype=np.int32)  # cells × genes CSR == genes × cells CSC
    with h5py.File(path, "w") as f:
        matrix = f.create_group("matrix")
        matrix["data"] = csr.data
        matrix["indices"] = csr.indices.astype(np.int64)
        matrix["indptr"] = csr.indptr.astype(np.int64)
        matrix["shape"] = np.array([csr.shape[1], csr.shape[0]], dtype=np.int32)
        matrix["barcodes"] = np.array(barcodes, dtype="S")
        features = matrix.create_group("features")
        features["id"] = np.array(gene_ids, dtype="S")
        features["name"] = np.array(genes, dtype="S")
        features["feature_type"] = np.array(["Gene Expression"] * len(genes), dtype="S")
        features["genome"] = np.array(["GRCh38"] * len(genes), dtype="S")


def _handler(directory: Path, behaviour: dict, requests: list):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            requests.append(self.path)
            expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="lab"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = directory / self.path.lstrip("/")
            if not path.is_file():
                self.send_error(404)
                return
            body = path.read_bytes()
            mode = behaviour.get(path.name)
            if mode == "corrupt":
                body = body[:-1] + bytes([body[-1] ^ 1])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if mode == "interrupt":  # promise the whole file, send half, hang up
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def serve_lab_files(root: Path, n_cells: int = 1600, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Serve the eight files (``n_cells`` simulated cells split by sample) on 127.0.0.1.

    Yields ``{"url", "registry", "behaviour", "requests"}``: the folder's URL, the path of
    the SHA-256 registry, a dict file name → ``"corrupt"`` or ``"interrupt"`` that makes the
    server misbehave for that file, and the list of paths requested so far.
    """
    served = root / "covid"
    served.mkdir()
    sim = simulate_pbmc(n_cells=n_cells, n_background_genes=400, seed=seed)
    genes, gene_ids = list(sim.var_names), list(sim.var["gene_ids"])
    lines = []
    for item in LAB_FILES:
        cells = sim[sim.obs["sample"] == item.sample]
        barcodes = [f"{name.split('-')[0]}-1" for name in cells.obs_names]
        write_10x_h5(served / item.filename, cells.X, barcodes, genes, gene_ids)
        digest = hashlib.sha256((served / item.filename).read_bytes()).hexdigest()
        lines.append(f"{digest}  {item.filename}")
    registry = root / "lab_sha256.txt"
    registry.write_text("\n".join(lines) + "\n")
    behaviour: dict[str, str] = {}
    requests: list[str] = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(root, behaviour, requests))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/covid"
    try:
        yield {"url": base, "registry": registry, "behaviour": behaviour, "requests": requests}
    finally:
        httpd.shutdown()
        httpd.server_close()


def lab_settings(server: dict[str, Any], cache: Path, config: Path) -> dict[str, str]:
    """The environment that points ``load_integrated`` at ``server`` and the cache ``cache``.

    ``config`` is the path given as ``SCCLUST_LAB_CONFIG`` (a file that need not exist, so
    that no user's ``~/.config/scclust-course/lab.toml`` is read).
    """
    return {
        "SCCLUST_CACHE_DIR": str(cache),
        "SCCLUST_DATASET": "lab",
        "SCCLUST_LAB_URL": server["url"],
        "SCCLUST_LAB_USER": USER,
        "SCCLUST_LAB_PASSWORD": PASSWORD,
        "SCCLUST_LAB_REGISTRY": str(server["registry"]),
        "SCCLUST_LAB_CONFIG": str(config),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
