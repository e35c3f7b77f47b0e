# nbgrader configuration for instructors who run nbgrader's own commands from this folder.
# Sources are solutions/, the student release is notebooks/; everything nbgrader writes while
# grading (gradebook, submitted, autograded, feedback) goes to the git-ignored workspace/.
# The course's own commands (python -m grader ...) build the same configuration in code.
import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "rnn-course"
c.CourseDirectory.root = here
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "workspace/submitted"
c.CourseDirectory.autograded_directory = "workspace/autograded"
c.CourseDirectory.feedback_directory = "workspace/feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "workspace", "gradebook.db")

# Pages that show student work (Formgrader, feedback) are sanitised: student code and markdown can
# hold HTML and JavaScript that would otherwise run in the instructor's Jupyter session. The grader's
# own rules keep plots and text and drop scripts, event handlers, iframes, forms and javascript: URLs.
import sys  # noqa: E402

if here not in sys.path:
    sys.path.insert(0, here)
c.HTMLExporter.preprocessors = ["grader.feedback_render.SanitizeNotebook"]
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"clean_html": "grader.sanitize.sanitize_html"}
