"""The demo's progress on the terminal: a spinner with the elapsed time while a step runs, then a
✓ line with its duration."""

from __future__ import annotations

import contextlib
import time

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class Steps:
    """Each step shows a spinner with elapsed time while it runs, then a ✓ line with its duration.
    The step yields a function that shows what the step is doing now."""

    def __init__(self, console: Console):
        self.console = console

    @contextlib.contextmanager
    def step(self, text: str):
        started = time.perf_counter()
        if self.console.is_terminal:
            columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
            with Progress(*columns, console=self.console, transient=True) as progress:
                task = progress.add_task(text, total=None)
                yield lambda detail: progress.update(task, description=f"{text}: {detail}")
        else:  # a log file gets the ✓ lines only
            yield lambda detail: None
        self.console.print(f"[green]✓[/] {text} [dim]({time.perf_counter() - started:.1f} s)[/]")
