"""Small extensions to nbgrader's autograde pipeline."""

from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade


class StderrIsNotFailure(NbGraderPreprocessor):
    """Relabel stderr output of grade cells as stdout, before nbgrader scores them.

    nbgrader scores a grade cell 0 when it wrote anything to stderr. TensorFlow writes log lines
    to stderr from background threads, and they land in whichever cell is running; a correct
    answer must not lose its points to them. A failed check raises, which is what decides the
    score. The text stays visible in the feedback.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and is_grade(cell):
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"
        return cell, resources
