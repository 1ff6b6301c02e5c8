"""The live ipywidgets view of a run, split by what each part does.

* ``renderer.py``      WidgetRenderer: the view of the run's events, and where the other parts sit
* ``stop_control.py``  the Stop button: sets the run's stop request (``jupyter_autogpt/interrupts.py``)
* ``approval.py``      the approval panel and the approver that asks through it (``Approving``)
* ``plan.py``          the ``--plan`` review panel and the reviewer that asks through it (``Reviewing``)
* ``steps.py``         one step's widgets, and the throttle on a streaming reply
* ``static.py``        what stays in the notebook once the widgets are closed
* ``tree.py``          closing a widget with every widget it holds

How clicks reach the kernel while the cell runs is ``ui/clicks.py``; the HTML the live view and the static
transcript share is ``ui/html_parts.py``. Importing this package does not import ipywidgets; building a view does.
"""

from __future__ import annotations

from .renderer import WidgetRenderer
from .static import StaticTranscript

__all__ = ["StaticTranscript", "WidgetRenderer"]
