"""``flask lottery ...``: lottery commands that never touch the database.

Registered by ``create_app`` with ``app.cli.add_command(lottery_cli)``.

* ``flask lottery probabilities --people P.csv --categories C.csv --seats K [--out OUT.csv]``
  writes each person's leximin selection probability as ``id,probability``.
* ``flask lottery table --people P.csv --categories C.csv --seats K [--size M] --out T.csv [--panels F]``
  writes per person the id, the leximin probability, the rows they are in and their table share.
* ``flask lottery verify AUDIT.json [--commitment HEX] [--recompute]`` re-checks a
  published draw (or the record published before it) and exits non-zero
  unless every check passes; the LP dual certificates of the leximin stages
  (check ``certificate``) are checked from the file, with or without ``--recompute``.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

import click
from flask.cli import AppGroup

from app.invitations import draw as invitation_draw
from app.lottery.audit import all_passed, load_audit, verify_audit
from app.lottery.errors import LotteryError
from app.lottery.algorithm import round_to_table
from app.lottery.sortition_csv import (
    exclude_already_selected,
    files_distribution,
    format_probability,
    read_sortition_instance,
    write_probabilities_csv,
)
from app.lottery.table import TABLE_SIZES, choose_table_size

lottery_cli = AppGroup("lottery", help="Seat lottery tools that work on files, without the database.")


def _fail(error: LotteryError) -> click.ClickException:
    """A ClickException (exit code 1) carrying the error's code and message."""
    return click.ClickException(f"[{error.code}] {error}")


def _sortition_files(command):
    """The options naming Sortition Foundation files: --people, --categories, --seats, --id-column."""
    for option in reversed([
        click.option("--people", "people_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
                     help="People CSV: an id column plus one column per feature."),
        click.option("--categories", "categories_path", required=True,
                     type=click.Path(dir_okay=False, path_type=Path), help="Categories CSV: feature,value,min,max."),
        click.option("--seats", required=True, type=click.IntRange(min=1), help="Number of seats to fill."),
        click.option("--id-column", default=None,
                     help="The people file's id column (default: the column called id, in any case)."),
        click.option("--already-selected", "already_path", default=None,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="People already selected (people file format): they leave the pool, and their seats "
                          "and answers count against the quotas."),
    ]):
        command = option(command)
    return command


def _leximin_of_files(people_path: Path, categories_path: Path, id_column: str | None, seats: int,
                      already_path: Path | None = None):
    """Read the files (notes to standard error) and compute the leximin distribution.

    :raises LotteryError: any code of the readers and the algorithm.
    """
    files = read_sortition_instance(people_path, categories_path, id_column)
    if already_path is not None:
        before = len(files.applicants)
        files, seats = exclude_already_selected(files, already_path, seats, id_column)
        click.echo(f"already selected: {before - len(files.applicants)} left the pool; {seats} seats to draw",
                   err=True)
    for note in files.notes:
        click.echo(str(note), err=True)
    return files, files_distribution(files, seats)


@lottery_cli.command("probabilities")
@_sortition_files
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write id,probability here instead of standard output.")
def probabilities_command(people_path: Path, categories_path: Path, seats: int, id_column: str | None,
                          already_path: Path | None, out_path: Path | None) -> None:
    """Compute each person's leximin selection probability (Flanigan et al. 2021)."""
    try:
        files, distribution = _leximin_of_files(people_path, categories_path, id_column, seats, already_path)
    except LotteryError as error:
        raise _fail(error) from None
    applicants = files.applicants
    by_pseudonym = distribution.probabilities
    in_file_order = {a.pseudonym: by_pseudonym[a.pseudonym] for a in applicants}
    if out_path is None:
        write_probabilities_csv(in_file_order, sys.stdout)
    else:
        try:
            with out_path.open("w", encoding="utf-8", newline="") as out:
                write_probabilities_csv(in_file_order, out)
        except OSError as exc:
            raise click.ClickException(f"cannot write {out_path}: {exc.strerror or exc}") from None
        click.echo(f"{len(in_file_order)} probabilities written to {out_path}; minimum "
                   f"{distribution.min_probability:.6f}, maximum {distribution.max_probability:.6f}", err=True)


@lottery_cli.command("table")
@_sortition_files
@click.option("--size", type=click.Choice([str(size) for size in TABLE_SIZES]), default=None,
              help="Rows of the table (default: chosen to fit the pool).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Per person: id, probability, rows, share.")
@click.option("--panels", "panels_path", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Also write the rows: row number, then the ids of the panel.")
def table_command(people_path: Path, categories_path: Path, seats: int, size: str | None, id_column: str | None,
                  already_path: Path | None, out_path: Path, panels_path: Path | None) -> None:
    """Compute the table of panels (version 2.1 rounding) for Sortition Foundation files."""
    try:
        files, distribution = _leximin_of_files(people_path, categories_path, id_column, seats, already_path)
        table_size = int(size) if size else choose_table_size(distribution)
        table = round_to_table(distribution, table_size)
    except LotteryError as error:
        raise _fail(error) from None
    probabilities = distribution.probabilities
    rows = Counter(p for row in table.rows for p in row)
    try:
        with out_path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["id", "probability", "rows", "share"])
            for applicant in files.applicants:
                p = applicant.pseudonym
                writer.writerow([p, format_probability(probabilities[p]), rows[p],
                                 format_probability(rows[p] / table_size)])
        if panels_path is not None:
            with panels_path.open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out, lineterminator="\n")
                for number, row in enumerate(table.rows, start=1):
                    writer.writerow([number, *row])
    except OSError as exc:
        raise click.ClickException(f"cannot write: {exc.strerror or exc}") from None
    deviation = max(abs(rows[p] / table_size - q) for p, q in probabilities.items())
    click.echo(f"{table_size} rows; largest |share - probability| {deviation:.6f} (bound {table.bound:.6f})",
               err=True)


@lottery_cli.command("verify")
@click.argument("audit_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--commitment", "expected_commitment", metavar="HEX",
              help="The commitment published before the draw: the file must carry exactly this one.")
@click.option("--recompute", is_flag=True,
              help="Also re-derive the table from the pool (the leximin probabilities are always re-derived); "
                   "identical with the same software versions.")
@click.option("--recompute-table", is_flag=True, hidden=True, help="Old name of --recompute.")
def verify_command(audit_path: Path, expected_commitment: str | None, recompute: bool, recompute_table: bool) -> None:
    """Re-check a draw, or a record before the draw, from its audit file; exit 0 only if everything matches."""
    try:
        audit = load_audit(audit_path)
    except LotteryError as error:
        raise _fail(error) from None
    if invitation_draw.is_invitation_audit(audit):  # stage 1 of a citizens' council (app/invitations)
        checks = invitation_draw.verify_audit(audit, expected_commitment=expected_commitment)
        drawn = "invited" in audit
    else:
        checks = verify_audit(audit, recompute_table=recompute or recompute_table,
                              expected_commitment=expected_commitment)
        drawn = "number" in audit
    for check in checks:
        click.echo(f"{'OK  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    if not all_passed(checks):
        failed = ", ".join(check.name for check in checks if not check.ok)
        raise click.ClickException(f"[audit_mismatch] verification failed: {failed}")
    if not drawn:
        click.echo("All checks passed (record before the draw; the draw itself is checked once it is recorded).")
    else:
        click.echo("All checks passed.")
