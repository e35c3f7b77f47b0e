# nbgrader settings for a student's JupyterLab and `nbgrader validate`.
# Validate runs the notebook in a fresh kernel and fails every problem whose visible check fails.
# Output on stderr (TensorFlow's log lines, warnings, a student's debugging) never turns a passing
# problem into a failure.
from grader.nbgrader_ext import validate_with_stderr_allowed

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

validate_with_stderr_allowed()
c.Execute.timeout = 600  # seconds per cell: sprints 07 and 08 train small Keras models
