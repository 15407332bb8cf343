"""Compiled kNN-graph kernels cached on disk, so a fresh kernel does not compile them again.

``sc.pp.neighbors`` turns the kNN distances into a graph with two numba functions of umap
(``smooth_knn_dist``, ``compute_membership_strengths``) that are not cached: every fresh
kernel (each chapter, each exercise, each graded submission) spends seconds compiling them.
Numba can cache any function whose caching is enabled before its first compilation; this
module enables it as soon as ``umap.umap_`` is imported, without importing umap itself.
Measured on 2 cores (2026-11-30, idle machine): the first ``sc.pp.neighbors`` of a fresh
process took 5.3 s without the cache and 1.2 s with it
(``tests/benchmarks/benchmark_numba_cache.py``).
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

UMAP_MODULE = "umap.umap_"
UNCACHED = ("smooth_knn_dist", "compute_membership_strengths")


def _enable(module: ModuleType) -> None:
    for name in UNCACHED:
        dispatcher = getattr(module, name, None)
        if dispatcher is None or not hasattr(dispatcher, "enable_caching"):
            continue
        try:
            dispatcher.enable_caching()
        except RuntimeError:  # no writable cache location: compile in memory, as before
            return


class _CacheAfterImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``umap.umap_`` through the other finders and enables caching once it ran."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != UMAP_MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                self._loader = spec.loader
                spec.loader = self
                return spec
        return None

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _enable(module)


def cache_neighbors_kernels() -> None:
    """Enable numba's on-disk cache for umap's kNN-graph kernels (now or when imported).

    Idempotent. The cache lives in umap's ``__pycache__`` (or numba's user-wide cache when
    that is read-only) and is reused by every later process on the same machine.

    Examples
    --------
    >>> cache_neighbors_kernels()
    >>> cache_neighbors_kernels()  # a second call changes nothing
    >>> sum(isinstance(f, _CacheAfterImport) for f in sys.meta_path) <= 1
    True
    """
    if UMAP_MODULE in sys.modules:
        _enable(sys.modules[UMAP_MODULE])
    elif not any(isinstance(f, _CacheAfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _CacheAfterImport())
