"""Matplotlib helpers shared by the chapters (image grids, training curves, ...).

One submodule per kind of figure; their ``__all__`` names are re-exported here.
"""

from course_lib._autoexport import export_submodules

__all__ = export_submodules(__name__, __path__, globals())
