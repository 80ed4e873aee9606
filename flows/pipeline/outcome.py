"""How a run's report becomes its Prefect flow run's final state, and back.

A run with a failed source (or a failed run) ends **Failed** in Prefect, with
the report as its result, so Prefect's UI, ``prefect flow-run ls`` and
automations show what the summary and the exit code say; a clean run ends
Completed. Callers run a flow with ``return_state=True`` and get the report
either way from :func:`report_of`: ``await report_of(ingest(..., return_state=True))``.
"""

from __future__ import annotations

from collections.abc import Awaitable

from prefect import State
from prefect.states import Failed

from flows.pipeline.reports import RunReport

__all__ = ["final_state", "report_of"]


def final_state(report: RunReport) -> RunReport | State[RunReport]:
    """The report, or a Failed state carrying it when a source (or the run) failed."""
    failure = report.failure_line()
    if failure is None and report.status == "completed":
        return report
    return Failed(message=failure or f"run {report.status}", data=report)


async def report_of(run: Awaitable[State[RunReport | State[RunReport]]]) -> RunReport:
    """The report of a flow run (called with ``return_state=True``), Completed or Failed; the
    flow's own error is raised."""
    state = await run
    result = await state.aresult(raise_on_failure=False)
    if isinstance(result, RunReport):
        return result
    await state.aresult()  # the flow raised: raise its error here
    raise TypeError(f"the flow returned {result!r}, not a run report")
