"""Job kinds for runner tests: ``argv`` runs params["argv"] as one step.

``run_with_test_kinds`` is a django-q2 task path, so a real worker process (started by a
test) can run these kinds too: it registers them, then calls the real runner.
"""

from __future__ import annotations

from swarm.job_registry import KINDS, JobKind
from swarm.jobs import JobContext, StepFailed, run_job


def argv_job(ctx: JobContext) -> str:
    ctx.step("test step")
    result = ctx.run(ctx.params["argv"], timeout=float(ctx.params.get("timeout", 60)))
    if result.timed_out:
        outcome = f"timed out after {ctx.params.get('timeout')} s"
        raise StepFailed(outcome, exit_code=result.exit_code)
    if not result.ok:
        raise StepFailed(f"exit code {result.exit_code}", exit_code=result.exit_code)
    return f"printed {len(result.tail)} tail lines"


def logger_job(ctx: JobContext) -> str:
    ctx.logger.info("hello from a Python step")
    ctx.logger.warning("a warning\nover two lines")
    return "logged"


TEST_KINDS = {
    "argv": JobKind("argv", "Test argv", argv_job),
    "logger": JobKind("logger", "Test logger", logger_job),
}


def register() -> None:
    KINDS.update(TEST_KINDS)


def run_with_test_kinds(job_id: int) -> str:
    register()
    return run_job(job_id)
