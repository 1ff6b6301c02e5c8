"""Measure answer accuracy: run DABench-style tasks through ``%%autogpt`` and score the answers.

``python -m jupyter_autogpt.eval PATH --model ID [--jobs N] [--report OUT.json]`` (``--help`` for the rest).
The modules, in the order a task meets them:

- ``tasks``: load a folder laid out as InfiAgent-DABench's dev set (questions, labels, tables);
- ``goal``: the goal text the model reads (question, constraints, file, answer format);
- ``runner``: each task in a fresh kernel in a scratch folder holding its table, ``jobs`` at once;
- ``kernel``: one kernel driven through ``jupyter_client``; ``probe`` is what it reads back (``last_run()``);
- ``scoring``: ``@name[value]`` answers against the labels, exactly or within a numeric tolerance;
- ``report``: the JSON report and the terminal table; ``progress``: the bar on stderr; ``cli``: the command.

Nothing here is imported by ``%load_ext``; the kernel side imports only ``probe``.
"""
