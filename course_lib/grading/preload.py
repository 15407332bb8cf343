"""What every grading process imports, imported once per worker by its fork server.

:func:`~.task.autograde_task` forks each grading process from a ``multiprocessing`` fork
server that imported this module first, so a submission's grading starts with nbgrader, the
course's checks and scanpy already loaded (about 4 s of CPU per submission otherwise). Each
grading process is still a process of its own, forked from a server that has imported
modules and done nothing else: no state passes from one submission to the next.
"""

from .config import skip_unused_imports

skip_unused_imports()

import anndata.io  # noqa: E402, F401
import h5py  # noqa: E402, F401
import nbgrader.converters  # noqa: E402, F401
import nbgrader.preprocessors  # noqa: E402, F401

from .. import checks  # noqa: E402, F401
from . import answers, handoff, judge, preprocessors  # noqa: E402, F401
from .judge import TRUSTED_MODULES  # noqa: E402

for _module in TRUSTED_MODULES.values():
    __import__(_module)
