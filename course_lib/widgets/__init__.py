"""Interactive demos for the chapters (ipywidgets).

Each demo is two layers: a pure function that draws one state of the demo into a
matplotlib figure (testable without a browser), and a thin widget that calls it
whenever a control changes. One submodule per topic; their ``__all__`` names are
re-exported here.
"""

from course_lib._autoexport import export_submodules

__all__ = export_submodules(__name__, __path__, globals())
