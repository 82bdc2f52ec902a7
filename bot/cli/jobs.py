"""``sigap jobs list|run``: the scheduler's jobs, and running one now (or as if at another
moment). Jobs only decide and write to the outbox; the running bot delivers."""

from __future__ import annotations

from datetime import datetime

from bot.cli.common import (
    CliError,
    Command,
    Subcommands,
    command,
    local_moment,
    moment_argument,
    subcommands,
)


def add_commands(commands: Subcommands) -> None:
    jobs = commands.add_parser("jobs", help="scheduled jobs")
    actions = subcommands(jobs, "jobs_command")
    actions.add_parser("list", help="every job with its next run").set_defaults(handler=jobs_list)
    run = actions.add_parser(
        "run",
        help="run one job now, or as if at another time; the running bot delivers",
        description="Jobs only decide and write to the outbox; the bot's sender delivers them "
        "within SIGAP_SCHEDULER_INTERVAL. Each notification is written once, so running a job "
        "twice sends nothing twice.",
    )
    run.add_argument("name", help="job name (see: sigap jobs list)")
    run.add_argument(
        "--date",
        dest="at",
        type=moment_argument,
        help="local date (that day at the current time) or date and time",
    )
    run.set_defaults(handler=jobs_run)


@command
async def jobs_list(c: Command) -> None:
    from scheduler.service import JOBS, next_run
    from services import Services

    async with c.database() as db:
        services = Services(settings=c.settings, db=db)
        now = c.now()
        for job in JOBS.values():
            upcoming = await next_run(services, job.name, now)
            when = upcoming.astimezone(c.zone).strftime("%Y-%m-%d %H:%M") if upcoming else "-"
            print(f"{job.name:<20} {when:<17} {job.schedule}")
            print(f"{'':<20} {job.description}")


@command
async def jobs_run(c: Command) -> None:
    from scheduler.service import JOBS, Scheduler
    from services import Services

    name = c.args.name
    if name not in JOBS:
        raise CliError(c.tr.plain("cli.job_unknown", name=name, names=", ".join(JOBS)))
    async with c.database() as db:
        moment = _moment(c)
        written = await Scheduler(Services(settings=c.settings, db=db), None).run_job(name, moment)
    at = moment.astimezone(c.zone).strftime("%Y-%m-%d %H:%M")
    print(c.tr.plain("cli.job_ran", name=name, count=written, at=at))


def _moment(c: Command) -> datetime:
    """Now, or --date: a date alone means that day at the current local time of day."""
    now = c.now()
    if not c.args.at:
        return now
    moment = local_moment(c.args.at, c.zone)
    if len(c.args.at) == 10:
        moment = datetime.combine(moment.date(), now.astimezone(c.zone).time(), tzinfo=c.zone)
    return moment
