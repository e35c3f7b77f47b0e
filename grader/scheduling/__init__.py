"""Who grades which notebook, and where: one notebook is the unit of work.

- :mod:`.task`      what a worker needs to grade one notebook (it travels to the worker);
- :mod:`.worker`    a grading process (``python -m grader.nbgrader_backend ROOT``) that keeps its
                    nbgrader workspace per assignment and grades the tasks sent to it, one at a time;
- :mod:`.local`     a pool of such processes on this machine (``grade --jobs N``, the default);
- :mod:`.cluster`   the same tasks sent to the workers of a Dask cluster (``grade --scheduler``);
- :mod:`.progress`  the progress bar, the grading log, and the summary at the end.

The machine that runs ``grade`` keeps the only record: it writes each result to
``OUT/.nbgrader/results`` as it arrives, whichever backend graded it.
"""
