"""`wikilake run` on the pipeline: start a Step Functions execution, follow it with a live status
line, and print its run record (rows, rejects, cost)."""

from __future__ import annotations

import time

from wikilake.commands.common import elapsed
from wikilake_core.errors import WikilakeError

PIPELINE_POLL_SECONDS = 10.0


class _ExecutionLine:
    """The live status line of an execution; rendered by rich on every refresh, so the clock ticks.
    Not on a terminal, each change of state is printed as a plain line instead."""

    def __init__(self, name: str, console):
        self.name, self.console = name, console
        self.status: str = "RUNNING"
        self.state: str | None = None
        self.started = time.monotonic()

    def update(self, execution: dict, state: str | None) -> None:
        changed = (execution["status"], state) != (self.status, self.state)
        self.status, self.state = execution["status"], state
        if changed and not self.console.is_terminal and self.status == "RUNNING":
            self.console.print(self.__rich__(), highlight=False, soft_wrap=True)

    def __rich__(self):
        from rich.text import Text

        # Text, not markup: a state's name may hold brackets.
        return Text.assemble(
            f"execution {self.name}: {self.status}",
            *((" in ", (self.state, "bold")) if self.state else ()),
            f" ({elapsed(time.monotonic() - self.started)})",
        )


def run_pipeline(args, dt: str, job_options: tuple[str, ...]) -> int:
    from rich.console import Console

    from wikilake.aws import pipeline
    from wikilake.aws.session import AwsContext, aws_errors
    from wikilake_core.contract import Outputs

    out, err = Console(), Console(stderr=True)
    with aws_errors():
        aws = AwsContext.from_args(args)
        state_machine = aws.outputs.require(Outputs.STATE_MACHINE_ARN)
        sfn = aws.client("stepfunctions")
        arn = pipeline.start(
            sfn, state_machine, args.dataset, dt, job_options=job_options, allow_missing_hours=args.allow_missing_hours
        )
        if not args.wait:
            print(arn)
            return 0
        name = arn.rsplit(":", 1)[-1]
        err.print(f"started execution {name} of {args.dataset} dt={dt}", highlight=False, soft_wrap=True)
        line = _ExecutionLine(name, err)
        try:
            with err.status(line):
                final = pipeline.follow(
                    sfn,
                    arn,
                    poll_seconds=args.poll or PIPELINE_POLL_SECONDS,
                    timeout_seconds=args.timeout * 60,
                    on_update=line.update,
                )
        except KeyboardInterrupt:
            if args.stop_on_interrupt:
                pipeline.stop(sfn, arn, "Ctrl-C in wikilake run --stop-on-interrupt")
                err.print(
                    f"stopped execution {name}; the pipeline terminates its cluster", highlight=False, soft_wrap=True
                )
            else:
                err.print(
                    f"stopped following; execution {name} goes on: `wikilake runs` shows it, "
                    f"`aws stepfunctions stop-execution --execution-arn {arn}` stops it",
                    highlight=False,
                    soft_wrap=True,
                )
            raise
    took = elapsed((final["stopDate"] - final["startDate"]).total_seconds())
    if final["status"] != pipeline.SUCCEEDED:
        reason = pipeline.failure(final)
        raise WikilakeError(f"execution {name} {final['status']} after {took}{f': {reason}' if reason else ''}")
    out.print(
        f"execution {name} SUCCEEDED in {took}: {args.dataset} dt={dt}; {_record_summary(pipeline.run_record(final))}",
        highlight=False,
        soft_wrap=True,
    )
    return 0


def _record_summary(record: dict) -> str:
    """``rows written: edits 120, ...; 3 rejected records; cost: 1.5 normalized instance hours,
    ~$0.42 (prices of 2026-11-01)`` from a run record (parts it lacks are left out); a job run
    on EMR Serverless gives its billed ``vCPU hours`` instead."""
    from wikilake_core.prices import compute_hours

    parts = []
    written = record.get("rows_written") or {}
    if written:
        parts.append("rows written: " + ", ".join(f"{table} {rows:,}" for table, rows in written.items()))
    if record.get("rejected_records") is not None:
        parts.append(f"{record['rejected_records']:,} rejected records")
    cost = record.get("cost") or {}
    costs = []
    compute = compute_hours(cost)
    if compute is not None:
        costs.append(f"{compute[0]:g} {compute[1].words}")
    if cost.get("usd") is not None:
        costs.append(f"~${cost['usd']:.2f} (prices of {cost.get('prices_as_of', '?')})")
    if costs:
        parts.append("cost: " + ", ".join(costs))
    return "; ".join(parts) or "no run record in the execution's output"
