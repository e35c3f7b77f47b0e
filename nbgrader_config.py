# nbgrader configuration for instructors who run nbgrader's own tools from this folder: Formgrader
# (`make formgrader`), `nbgrader export`, and nbgrader's other commands.
#
# The course is a graded output folder of `python -m grader grade` (its root): OUT/gradebook.db holds
# every graded submission with the verified scores, OUT/.nbgrader/course/ the submitted and autograded
# notebooks, OUT/feedback/ the feedback. OUT is $RNN_COURSE_OUT, by default workspace/demo (the sample
# class, `make grade`); sources are solutions/ ($RNN_COURSE_SOLUTIONS), the release is notebooks/.
# The course's own commands (python -m grader ...) build their nbgrader configuration in code.
import os
import sys

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.abspath(os.path.join(here, os.environ.get("RNN_COURSE_OUT", os.path.join("workspace", "demo"))))

c.CourseDirectory.course_id = "rnn-course"
c.CourseDirectory.root = out
c.CourseDirectory.source_directory = os.path.abspath(os.environ.get("RNN_COURSE_SOLUTIONS",
                                                                    os.path.join(here, "solutions")))
c.CourseDirectory.release_directory = os.path.join(here, "notebooks")
c.CourseDirectory.submitted_directory = os.path.join(".nbgrader", "course", "submitted")
c.CourseDirectory.autograded_directory = os.path.join(".nbgrader", "course", "autograded")
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(out, "gradebook.db")

# Feedback that Formgrader generates looks like the grader's: verdicts instead of hidden tests, problem
# titles, maths as MathML, no script (grader/templates/feedback).
sys.path.insert(0, here)
from grader.nbgrader_backend import feedback_template_dirs  # noqa: E402
from grader.nbgrader_ext import MathToMathML, ShowVerdicts  # noqa: E402

c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades", ShowVerdicts, MathToMathML,
                                    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
c.HTMLExporter.extra_template_basedirs = feedback_template_dirs()

# Pages that show student work (Formgrader, feedback) are sanitised: student code and markdown can
# hold HTML and JavaScript that would otherwise run in the instructor's Jupyter session. The grader's
# own rules keep plots and text and drop scripts, event handlers, iframes, forms and javascript: URLs.
c.HTMLExporter.preprocessors = ["grader.feedback_render.SanitizeNotebook"]
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"clean_html": "grader.sanitize.sanitize_html"}
