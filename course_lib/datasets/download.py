"""Hash-checked downloads of real datasets (the course's default data is simulated locally)."""

from __future__ import annotations

import re
from pathlib import Path

import anndata as ad
import pooch

from ..environment import cache_dir

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def fetch_file(
    url: str,
    sha256: str,
    *,
    directory: Path | None = None,
    progress: bool = True,
    fname: str | None = None,
    auth: tuple[str, str] | None = None,
) -> Path:
    """Download ``url`` once into the course cache and check its SHA-256 hash.

    A file already in the cache with the right hash is not downloaded again; a file
    with the wrong hash (corrupt or changed upstream) is downloaded again, and if the
    download does not match either, a ``ValueError`` says so and nothing is kept.

    Parameters
    ----------
    url
        Address of the file (``http://``, ``https://`` or ``ftp://``).
    sha256
        Expected SHA-256 of the file, 64 hexadecimal digits.
    directory
        Where to keep the file; defaults to ``<cache_dir()>/downloads``.
    progress
        Show a progress bar while downloading.
    fname
        Name of the local file; defaults to pooch's unique name (a hash of the URL, then
        the URL's last part).
    auth
        ``(user, password)`` for HTTP basic authentication (``http://``/``https://`` only).

    Returns
    -------
    Path of the verified local file.

    Examples
    --------
    >>> path = fetch_file("https://example.org/pbmc.h5ad", published_sha256)  # doctest: +SKIP

    The hash is checked before anything is downloaded:

    >>> fetch_file("https://example.org/pbmc.h5ad", "abc")
    Traceback (most recent call last):
    ValueError: sha256 must be 64 hexadecimal digits, got 'abc'...
    """
    if not isinstance(sha256, str):
        msg = (
            f"sha256 must be a string of 64 hexadecimal digits, got {sha256!r} "
            f"({type(sha256).__name__}); copy the hash published with the file"
        )
        raise TypeError(msg)
    if not _SHA256.match(sha256.lower()):
        msg = (
            f"sha256 must be 64 hexadecimal digits, got {sha256!r}; "
            "copy the full hash published with the file"
        )
        raise ValueError(msg)
    target = Path(directory) if directory is not None else cache_dir() / "downloads"
    if auth is None:
        options: dict[str, object] = {"progressbar": progress}
    else:
        options = {"downloader": pooch.HTTPDownloader(auth=tuple(auth), progressbar=progress)}
    path = pooch.retrieve(
        url,
        known_hash=f"sha256:{sha256.lower()}",
        fname=fname,
        path=target,
        **options,
    )
    return Path(path)


def load_h5ad(url: str, sha256: str, *, directory: Path | None = None) -> ad.AnnData:
    """Download (once, hash-checked) and read an ``.h5ad`` file.

    Use this for a real dataset, e.g. the lab's integrated object if you have access to it;
    see :func:`fetch_file` for caching and verification.

    Examples
    --------
    >>> adata = load_h5ad("https://example.org/covid_integrated.h5ad", "3f…")  # doctest: +SKIP
    """
    return ad.read_h5ad(fetch_file(url, sha256, directory=directory))
