"""Public names of a package imported on first use (PEP 562), so importing it stays light.

``import course_lib`` must not import scanpy, and ``import course_lib.grading`` (which every
grading kernel and ``nbgrader_config.py`` does) must not import nbgrader: both packages
list where each public name lives and let :func:`lazy_exports` import it when asked.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, Iterable[str]], submodules: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` that import public names on first use.

    Parameters
    ----------
    package
        The package's ``__name__``.
    exports
        Relative module (``".tl"``) → the public names it defines.
    submodules
        Subpackages or modules reachable as attributes (``course_lib.tl``).

    Returns
    -------
    ``(__getattr__, __dir__)`` to assign in the package's ``__init__``.

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("course_lib", {".defaults": ("leiden_key",)}, ())
    >>> getattr_("leiden_key")(0.6)
    'leiden_0.6'
    >>> getattr_("nothing")
    Traceback (most recent call last):
    AttributeError: module 'course_lib' has no attribute 'nothing'
    """
    home = {name: module for module, names in exports.items() for name in names}
    submodules = tuple(submodules)

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f".{name}", package)
        if name not in home:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(home[name], package), name)
        vars(sys.modules[package])[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *home, *submodules})

    return __getattr__, __dir__
