"""Writes that respect the file system: no silent overwrite, lock files, links, read-only
and special files, full disks, exact backup names and rotation, leftovers of killed runs
(the rules: kpi_xl/fileio.py's docstring)."""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from refresh_support import small_data

import kpi_xl
from kpi_xl import fileio, pipeline
from kpi_xl.cli import main
from kpi_xl.errors import KpiXlError
from kpi_xl.fileio import (
    BACKUPS,
    HOST,
    STALE_AFTER,
    STALE_ALWAYS,
    atomic_path,
    backups_of,
    keep_backup,
    rotate_backups,
    stale_temp_files,
)
from kpi_xl.refreshing import refresh

OLD = b"the user's plan: 20 typed targets and an added sheet"
ROOT = Path(__file__).resolve().parent.parent


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("kpi-xl: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "exports.csv"
    path.parent.mkdir()
    small_data(end="2026-03-31", campaigns=1).to_csv(path, index=False)
    return path


# -- 1. build and demo never replace a file silently ----------------------------------------


def test_build_refuses_an_existing_file_before_reading_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD)
    # the export does not exist: the refusal comes before the data is read
    assert main(["build", str(tmp_path / "missing.csv"), "-o", str(plan), "-q"]) == 2
    err = _one_line_error(capsys)
    assert str(plan) in err and "already exists" in err
    assert "--overwrite" in err and "kpi-xl refresh" in err
    assert plan.read_bytes() == OLD and _names(tmp_path) == ["plan.xlsx"]


def test_demo_refuses_an_existing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kpi_plan.xlsx").write_bytes(OLD)
    assert main(["demo", "-q"]) == 2
    err = _one_line_error(capsys)
    assert "kpi_plan.xlsx" in err and "--overwrite" in err and "kpi-xl refresh" in err
    assert (tmp_path / "kpi_plan.xlsx").read_bytes() == OLD
    assert _names(tmp_path) == ["kpi_plan.xlsx"]


def test_demo_and_build_pass_overwrite_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    seen: list[bool] = []

    def spy(data: Any, out: Path, **options: Any) -> Path:
        seen.append(options["overwrite"])
        return Path(out)

    monkeypatch.setattr(pipeline, "build_plan", spy)
    assert main(["demo", "-q", "-o", "x.xlsx"]) == 0
    assert main(["demo", "-q", "-o", "x.xlsx", "--overwrite"]) == 0
    assert main(["build", "a.csv", "-q", "-o", "x.xlsx"]) == 0
    assert main(["build", "a.csv", "-q", "-o", "x.xlsx", "--overwrite"]) == 0
    assert seen == [False, True, False, True]


def test_the_api_refuses_unless_overwrite(tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD)
    with pytest.raises(KpiXlError, match=r"already exists.*overwrite=True"):
        kpi_xl.build_plan(small_data(), plan)
    assert plan.read_bytes() == OLD and backups_of(plan) == []


def test_build_overwrite_keeps_a_backup_like_refresh(
    tmp_path: Path, csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD)
    assert main(["build", str(csv), "-o", str(plan), "-q", "--overwrite"]) == 0
    (backup,) = backups_of(plan)
    assert backup.read_bytes() == OLD
    assert f"the previous file kept as {backup.name}" in capsys.readouterr().out
    assert zipfile.is_zipfile(plan)
    assert _names(tmp_path) == sorted(["data", "plan.xlsx", backup.name])


# -- lock files: every writer -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "lock", "program"),
    [
        ("plan.xlsx", ".~lock.plan.xlsx#", "LibreOffice"),
        ("plan.xlsx", "~$plan.xlsx", "Excel"),
        # Office cuts long names: a stem of 8+ characters loses two, of 7 loses one
        ("quarterly_plan.xlsx", "~$arterly_plan.xlsx", "Excel"),
        ("plan_q1.xlsx", "~$lan_q1.xlsx", "Excel"),
    ],
)
def test_build_refuses_a_file_open_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, lock: str, program: str
) -> None:
    plan = tmp_path / name
    plan.write_bytes(OLD)
    (tmp_path / lock).write_text("someone")
    args = ["build", str(tmp_path / "missing.csv"), "-o", str(plan), "-q", "--overwrite"]
    assert main(args) == 2
    err = _one_line_error(capsys)
    assert f"is open in {program} (lock file {lock})" in err and "close it and try again" in err
    assert plan.read_bytes() == OLD and backups_of(plan) == []


def test_a_lock_of_another_file_is_not_this_files(tmp_path: Path) -> None:
    """``~$plan.xlsx`` (Excel has plan.xlsx open) says nothing about xxplan.xlsx: a stem
    of 6 characters is never cut."""
    (tmp_path / "~$plan.xlsx").write_text("someone")
    with atomic_path(tmp_path / "xxplan.xlsx") as tmp:
        tmp.write_bytes(b"new")
    assert (tmp_path / "xxplan.xlsx").read_bytes() == b"new"


@pytest.mark.parametrize("target", ["copy.xlsx", "message.eml", "canonical.csv"])
def test_every_writer_checks_lock_files(tmp_path: Path, target: str) -> None:
    """export-email (.xlsx), send --eml, ingest -o: all write through atomic_path."""
    path = tmp_path / target
    path.write_bytes(OLD)
    (tmp_path / f".~lock.{target}#").write_text("someone")
    with pytest.raises(KpiXlError, match="open in LibreOffice"), atomic_path(path) as tmp:
        tmp.write_bytes(b"new")
    assert path.read_bytes() == OLD


def test_a_lock_that_appears_while_writing_stops_the_rename(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(OLD)
    with pytest.raises(KpiXlError, match="open in Excel"), atomic_path(path, backup=True) as tmp:
        tmp.write_bytes(b"new")
        (tmp_path / "~$plan.xlsx").write_text("someone opened it meanwhile")
    assert path.read_bytes() == OLD
    assert _names(tmp_path) == ["plan.xlsx", "~$plan.xlsx"]  # no backup, no temporary


def test_a_lock_beside_a_links_target_counts(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "team_plan.xlsx").write_bytes(OLD)
    (shared / ".~lock.team_plan.xlsx#").write_text("a colleague")
    link = tmp_path / "plan.xlsx"
    link.symlink_to(shared / "team_plan.xlsx")
    with pytest.raises(KpiXlError, match="open in LibreOffice"), atomic_path(link) as tmp:
        tmp.write_bytes(b"new")
    assert (shared / "team_plan.xlsx").read_bytes() == OLD


# -- 2. links, read-only files, special files, folders, full disks ------------------------


def test_writing_through_a_symlink_replaces_its_target(
    tmp_path: Path, csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / "team_plan.xlsx"
    real.write_bytes(OLD)
    real.chmod(0o640)
    link = tmp_path / "plan.xlsx"
    link.symlink_to(real)
    assert main(["build", str(csv), "-o", str(link), "-q", "--overwrite"]) == 0
    assert link.is_symlink() and link.resolve() == real
    assert zipfile.is_zipfile(real) and stat.S_IMODE(real.stat().st_mode) == 0o640
    (backup,) = backups_of(link)
    assert backup.parent == shared and backup.read_bytes() == OLD
    assert "team_plan.backup-" in capsys.readouterr().out


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "plan.xlsx"
    link.symlink_to(tmp_path / "real.xlsx")
    with atomic_path(link, overwrite=False) as tmp:
        tmp.write_bytes(b"new")
    assert link.is_symlink() and (tmp_path / "real.xlsx").read_bytes() == b"new"


def test_a_read_only_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Even for root (the tests run as root): the mode bits say read-only."""
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD)
    plan.chmod(0o444)
    with pytest.raises(KpiXlError, match="read-only"), atomic_path(plan) as tmp:
        tmp.write_bytes(b"new")
    assert main(["build", str(tmp_path / "x.csv"), "-o", str(plan), "-q", "--overwrite"]) == 2
    assert "read-only" in _one_line_error(capsys)
    assert plan.read_bytes() == OLD and stat.S_IMODE(plan.stat().st_mode) == 0o444
    assert _names(tmp_path) == ["plan.xlsx"]


def _special(kind: str, path: Path) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "socket":
        import socket

        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(path))
    else:  # a device node like /dev/full (1, 7), made here so that no system file is at risk
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        except PermissionError:
            pytest.skip("no permission to make a device node")


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("fifo", "a FIFO (named pipe)"),
        ("device", "a character device"),
        ("socket", "a socket"),
        ("folder", "a folder"),
    ],
)
@pytest.mark.parametrize("via_link", [False, True])
def test_only_regular_files_are_written(
    tmp_path: Path, kind: str, words: str, via_link: bool
) -> None:
    node = tmp_path / "node.xlsx"
    _special(kind, node)
    before = node.lstat()
    target = node
    if via_link:  # -o /dev/stdout is a link to a pipe or a terminal
        target = tmp_path / "link.xlsx"
        target.symlink_to(node)
    with (
        pytest.raises(KpiXlError, match=re.escape(f"is {words}, not a regular file")),
        atomic_path(target) as tmp,
    ):
        tmp.write_bytes(b"new")
    after = node.lstat()
    assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (
        before.st_ino,
        stat.S_IFMT(before.st_mode),
    )
    assert target.is_symlink() == via_link
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_missing_folder_is_created_when_writing_starts(tmp_path: Path) -> None:
    target = tmp_path / "new" / "folders" / "plan.xlsx"
    fileio.check_target(target)  # the checks create nothing
    assert _names(tmp_path) == []
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and _names(target.parent) == ["plan.xlsx"]


@pytest.mark.parametrize("inside", ["plan.xlsx", "new/plan.xlsx"])
def test_a_read_only_folder_is_an_error(tmp_path: Path, inside: str) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with (
            pytest.raises(KpiXlError, match=r"folder .*locked is read-only"),
            atomic_path(folder / inside) as tmp,
        ):
            tmp.write_bytes(b"new")
        assert _names(folder) == []
    finally:
        folder.chmod(0o755)


def test_a_file_as_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("")
    with (
        pytest.raises(KpiXlError, match=r"notes\.txt is not a folder"),
        atomic_path(tmp_path / "notes.txt" / "new" / "plan.xlsx") as tmp,
    ):
        tmp.write_bytes(b"new")


def _fill_the_disk(tmp: Path) -> None:
    """Write as a writer would until the disk is full: a real ENOSPC from /dev/full."""
    tmp.write_bytes(b"PK half a workbook")
    with Path("/dev/full").open("wb") as full:
        full.write(b"x" * 65536)
        full.flush()


needs_dev_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")


@needs_dev_full
@pytest.mark.parametrize("wrapped", [False, True])
def test_a_full_disk_is_one_line_and_leaves_the_file(tmp_path: Path, wrapped: bool) -> None:
    from xlsxwriter.exceptions import FileCreateError

    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD)
    with (
        pytest.raises(KpiXlError, match="no space left on the disk; nothing was replaced"),
        atomic_path(plan, backup=True) as tmp,
    ):
        try:
            _fill_the_disk(tmp)
        except OSError as exc:
            if not wrapped:
                raise
            raise FileCreateError(exc) from None  # as XlsxWriter's close() does
    assert plan.read_bytes() == OLD and _names(tmp_path) == ["plan.xlsx"]


def test_a_full_disk_at_fsync_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(KpiXlError, match="no space left"), atomic_path(plan) as tmp:
        tmp.write_bytes(b"new")
    assert plan.read_bytes() == OLD and _names(tmp_path) == ["plan.xlsx"]


@needs_dev_full
def test_a_full_disk_during_build_is_one_line(
    tmp_path: Path, csv: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from xlsxwriter.exceptions import FileCreateError

    def writer(model: Any, layout: Any, path: Path, **options: Any) -> Path:
        try:
            _fill_the_disk(path)
        except OSError as exc:
            raise FileCreateError(exc) from None
        return path

    monkeypatch.setattr(pipeline, "write_workbook", writer)
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD)
    assert main(["build", str(csv), "-o", str(plan), "-q", "--overwrite"]) == 2
    assert "no space left on the disk" in _one_line_error(capsys)
    assert plan.read_bytes() == OLD and _names(tmp_path) == ["data", "plan.xlsx"]


# -- refresh goes through the same checks -------------------------------------------------


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    return kpi_xl.build_plan(small_data(end="2026-03-31", campaigns=1), tmp_path / "plan.xlsx")


def test_refresh_refuses_a_read_only_plan_before_the_work(plan: Path) -> None:
    before = plan.read_bytes()
    plan.chmod(0o444)
    with pytest.raises(KpiXlError, match="workbook is read-only"):
        refresh(plan, small_data(end="2026-03-31", campaigns=1))
    assert plan.read_bytes() == before and backups_of(plan) == []


def test_refresh_through_a_symlink_writes_its_target(plan: Path, tmp_path: Path) -> None:
    before = plan.read_bytes()
    elsewhere = tmp_path / "desktop"
    elsewhere.mkdir()
    link = elsewhere / "my plan.xlsx"
    link.symlink_to(plan)
    refresh(link, small_data(end="2026-04-30", campaigns=1))
    assert link.is_symlink() and link.resolve() == plan
    assert plan.read_bytes() != before
    (backup,) = backups_of(link)
    assert backup.parent == plan.parent and backup.read_bytes() == before
    assert _names(elsewhere) == ["my plan.xlsx"]


@needs_dev_full
def test_refresh_on_a_full_disk_leaves_the_plan_and_no_backup(
    plan: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def writer(model: Any, layout: Any, path: Path, **options: Any) -> Path:
        _fill_the_disk(path)
        return path

    before = plan.read_bytes()
    data = plan.parent / "d.csv"
    small_data(end="2026-03-31", campaigns=1).to_csv(data, index=False)
    monkeypatch.setattr(pipeline, "write_workbook", writer)
    assert main(["refresh", str(plan), "--data", str(data), "-q"]) == 2
    assert "no space left" in _one_line_error(capsys)
    assert plan.read_bytes() == before and backups_of(plan) == []
    assert _names(plan.parent) == ["d.csv", "plan.xlsx"]


# -- 3. the output's extension says what it is ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "x.csv", "-o", "plan.csv"], "must be named .xlsx"),
        (["build", "x.csv", "-o", "plan.xlsm"], "must be named .xlsx (or add --macro"),
        (["build", "x.csv", "-o", "plan.xlsx", "--macro"], "must be named .xlsm"),
        (["build", "x.csv", "-o", "plan.xlsx.csv"], "must be named .xlsx"),
        (["demo", "-o", "plan.csv"], "must be named .xlsx"),
    ],
)
def test_the_output_extension_matches_the_format(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([*args, "-q"]) == 2
    assert message in _one_line_error(capsys)
    assert _names(tmp_path) == []


# -- 4. backups: exact names, rotation by timestamp, no races -----------------------------


def _stamp(day: int, n: int = 1) -> str:
    return f"202601{day:02d}-120000" + ("" if n == 1 else f"-{n}")


def test_only_exactly_named_backups_are_rotated(tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(b"current")
    mine = [f"plan.backup-{_stamp(d)}.xlsx" for d in range(1, 9)]
    users = [
        "plan.backup-2019-signed-off.xlsx",  # the user's own, signed-off version
        "plan.backup-20261399-250000.xlsx",  # not a timestamp
        "plan.backup-20260101-120000-1.xlsx",  # never a name kpi_xl makes
        "plan.backup-20260101-120000.xlsx.txt",
        "plan1.backup-20200101-000000.xlsx",  # another plan's
        "my plan.backup-20200101-000000.xlsx",
        "plan.backup-20200101-000000.xlsm",  # plan.xlsm's
    ]
    for name in mine + users:
        (tmp_path / name).write_text(name)
    assert [p.name for p in backups_of(plan)] == mine
    removed = rotate_backups(plan, BACKUPS)
    assert sorted(p.name for p in removed) == mine[: len(mine) - BACKUPS]
    assert _names(tmp_path) == sorted(["plan.xlsx", *mine[-BACKUPS:], *users])


def test_rotation_orders_by_parsed_time_then_number(tmp_path: Path) -> None:
    """By name, ``-10`` sorts before ``-9`` and ``20260102`` before ``20260102-120000-2``;
    by time and number they are the newest."""
    plan = tmp_path / "plan.xlsx"
    names = [f"plan.backup-{_stamp(1, n)}.xlsx" for n in (1, 2, 9, 10)]
    names += [f"plan.backup-{_stamp(2, n)}.xlsx" for n in (1, 2)]
    for name in names:
        (tmp_path / name).write_text(name)
    assert [p.name for p in backups_of(plan)] == names
    rotate_backups(plan, 3)
    assert [p.name for p in backups_of(plan)] == names[-3:]


def test_a_name_with_glob_characters_rotates_only_its_own(tmp_path: Path) -> None:
    odd = tmp_path / "plan[1].xlsx"  # as a glob, [1] matches plan1.xlsx's backups
    odd.write_bytes(b"odd")
    others = [f"plan1.backup-{_stamp(d)}.xlsx" for d in range(1, 8)]
    for name in others:
        (tmp_path / name).write_text(name)
    when = dt.datetime(2026, 1, 1, 12)
    made = [keep_backup(odd, now=when + dt.timedelta(days=d)) for d in range(BACKUPS + 2)]
    assert backups_of(odd) == made
    rotate_backups(odd, BACKUPS)
    assert backups_of(odd) == made[-BACKUPS:]
    assert [p.name for p in backups_of(tmp_path / "plan1.xlsx")] == others


def test_backups_are_named_exactly(tmp_path: Path) -> None:
    plan = tmp_path / "Plan 2026.xlsm"
    plan.write_bytes(OLD)
    when = dt.datetime(2026, 3, 4, 5, 6, 7)
    names = [keep_backup(plan, now=when).name for _ in range(3)]
    assert names == [
        "Plan 2026.backup-20260304-050607.xlsm",
        "Plan 2026.backup-20260304-050607-2.xlsm",
        "Plan 2026.backup-20260304-050607-3.xlsm",
    ]


@pytest.mark.parametrize("links", [True, False])
def test_concurrent_backups_in_one_second_all_succeed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: bool
) -> None:
    """80 same-second backups: each claims its own name (a hard link, or O_EXCL where the
    file system has no hard links); none fails, none is partial."""
    if not links:

        def no_links(src: Any, dst: Any) -> None:
            raise OSError(errno.EPERM, "hard links are not supported here")

        monkeypatch.setattr(os, "link", no_links)
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD * 1000)
    when = dt.datetime(2026, 1, 1, 12)
    with ThreadPoolExecutor(max_workers=16) as pool:
        made = list(pool.map(lambda _: keep_backup(plan, now=when), range(80)))
    assert len(set(made)) == 80 and sorted(made) == sorted(backups_of(plan))
    assert all(p.read_bytes() == OLD * 1000 for p in made)
    assert sorted(_names(tmp_path)) == sorted(["plan.xlsx", *(p.name for p in made)])


def test_concurrent_writes_with_backups_all_succeed(tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(b"v0")

    def write(version: int) -> None:
        with atomic_path(plan, backup=True, keep=100) as tmp:
            tmp.write_bytes(f"v{version}".encode())

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(write, range(1, 81)))  # re-raises the first failure
    versions = {f"v{v}".encode() for v in range(81)}
    assert len(backups_of(plan)) == 80 and plan.read_bytes() in versions
    assert {p.read_bytes() for p in backups_of(plan)} <= versions
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_write_keeps_and_rotates_backups(tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(b"v0")
    for version in range(1, BACKUPS + 3):
        with atomic_path(plan, backup=True) as tmp:
            tmp.write_bytes(f"v{version}".encode())
    kept = backups_of(plan)
    assert plan.read_bytes() == f"v{BACKUPS + 2}".encode()
    assert [p.read_bytes() for p in kept] == [f"v{v}".encode() for v in range(2, BACKUPS + 2)]


# -- 5. leftovers of killed runs ----------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _age(path: Path, seconds: float) -> Path:
    when = time.time() - seconds
    os.utime(path, (when, when))
    return path


def test_a_killed_writers_temporary_file_is_removed_at_the_next_write(tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD)
    code = (
        "import sys, time\n"
        "from kpi_xl.fileio import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_bytes(b'half')\n"
        "    print(tmp.name, flush=True)\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(plan)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert child.stdout is not None
    left = tmp_path / child.stdout.readline().strip()
    assert left.name.startswith(".plan.") and left.name.endswith(".xlsx.tmp") and left.exists()
    assert stale_temp_files(plan) == []  # its process is still running: not stale
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert left.exists() and stale_temp_files(plan) == [left]
    with atomic_path(plan) as tmp:
        tmp.write_bytes(b"new")
    assert plan.read_bytes() == b"new" and _names(tmp_path) == ["plan.xlsx"]


def test_which_temporary_files_are_stale(tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD)
    dead, alive = _dead_pid(), os.getpid()
    other_host = "0" * 8 if HOST != "0" * 8 else "1" * 8

    def temp(name: str, age: float = 0) -> Path:
        path = tmp_path / name
        path.write_bytes(b"x")
        return _age(path, age)

    stale = {
        temp(f".plan.{HOST}-{dead}-abcdefgh.xlsx.tmp"),  # its process is gone
        temp(f".plan.{HOST}-{alive}-bcdefgh_.xlsx.tmp", STALE_ALWAYS + 60),  # a reused pid
        temp(f".plan.{other_host}-{alive}-cdefgh12.xlsx.tmp", STALE_AFTER + 60),
        temp(".plan.defgh123.xlsx.tmp", STALE_AFTER + 60),  # an older release's
        temp("plan.backup-20260101-120000.xlsx.tmp", STALE_AFTER + 60),  # its backup copy
        temp("plan.backup-20260101-120000-2.xlsx.tmp", STALE_AFTER + 60),
    }
    kept = [
        temp(f".plan.{HOST}-{alive}-efgh1234.xlsx.tmp", STALE_AFTER + 60),  # still writing
        temp(f".plan.{other_host}-{dead}-fgh12345.xlsx.tmp"),  # another machine's, young
        temp(".plan.gh123456.xlsx.tmp"),  # young
        temp(f".plan1.{HOST}-{dead}-h1234567.xlsx.tmp", STALE_ALWAYS + 60),  # plan1.xlsx's
        temp(f".plan.{HOST}-{dead}-h1234567.xlsm.tmp", STALE_ALWAYS + 60),  # plan.xlsm's
        temp(f".plan.x.{HOST}-{dead}-12345678.xlsx.tmp", STALE_ALWAYS + 60),  # plan.x.xlsx's
        temp("plan.backup-2019-signed-off.xlsx.tmp", STALE_ALWAYS + 60),  # not our name
    ]
    assert set(stale_temp_files(plan)) == stale
    with atomic_path(plan) as tmp:
        tmp.write_bytes(b"new")
    assert _names(tmp_path) == sorted(["plan.xlsx", *(p.name for p in kept)])


@pytest.fixture
def no_hard_links(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(src: Any, dst: Any) -> None:
        raise OSError(errno.EPERM, "hard links are not supported here")

    monkeypatch.setattr(os, "link", refuse)
    yield


@needs_dev_full
@pytest.mark.usefixtures("no_hard_links")
def test_a_failed_backup_copy_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def copy_to_a_full_disk(src: Any, dst: Any, **options: Any) -> None:
        _fill_the_disk(Path(dst))

    monkeypatch.setattr(shutil, "copy2", copy_to_a_full_disk)
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD)
    with (
        pytest.raises(KpiXlError, match="could not keep a backup of it: no space left"),
        atomic_path(plan, backup=True) as tmp,
    ):
        tmp.write_bytes(b"new")
    assert plan.read_bytes() == OLD and _names(tmp_path) == ["plan.xlsx"]


@pytest.mark.usefixtures("no_hard_links")
def test_without_hard_links_backups_are_copies(tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(OLD)
    with atomic_path(plan, backup=True) as tmp:
        tmp.write_bytes(b"new")
    (backup,) = backups_of(plan)
    assert backup.read_bytes() == OLD and plan.read_bytes() == b"new"
    assert _names(tmp_path) == sorted(["plan.xlsx", backup.name])


@pytest.mark.usefixtures("no_hard_links")
def test_without_hard_links_a_new_file_still_does_not_clobber(tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsx"
    with (
        pytest.raises(KpiXlError, match="appeared while"),
        atomic_path(plan, overwrite=False) as tmp,
    ):
        tmp.write_bytes(b"new")
        plan.write_bytes(OLD)  # another program wrote it meanwhile
    assert plan.read_bytes() == OLD and _names(tmp_path) == ["plan.xlsx"]


def test_a_new_file_does_not_clobber_one_that_appeared(tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsx"
    with (
        pytest.raises(KpiXlError, match="appeared while"),
        atomic_path(plan, overwrite=False) as tmp,
    ):
        tmp.write_bytes(b"new")
        plan.write_bytes(OLD)
    assert plan.read_bytes() == OLD and _names(tmp_path) == ["plan.xlsx"]
