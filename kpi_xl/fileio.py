"""Writing files safely: checks first, a temporary file beside the target, an atomic rename.

Every file kpi_xl writes (``build``, ``demo``, ``refresh``, ``export-email``, ``send --eml``,
``ingest -o``) goes through :func:`atomic_path`. The rules, each with a test in
``tests/test_safe_writes.py`` or ``tests/test_fileio.py``:

1. **Checked before anything is written** (:func:`check_target`), each failure one
   :class:`~kpi_xl.errors.KpiXlError` line naming the file: a lock file says the file is
   open in LibreOffice (``.~lock.NAME#``) or Excel (``~$NAME``; see :func:`lock_files`);
   the path is a folder, a FIFO, a device or a socket (only regular files are written, so
   ``-o /dev/full`` cannot replace a device); the file is read-only (no write permission
   bit: checked on the mode bits, so even root respects it); its folder (or, when the
   folder is missing, the nearest folder above it) is not a folder or is read-only. A
   missing folder is created when the writing starts, not by the checks. With
   ``overwrite=False`` an existing file is refused too, and the final step cannot clobber
   a file that appeared meanwhile (it is a hard link, which fails when the name is taken).
2. **Symbolic links are written through**: the link's target is replaced and the link stays
   a link. Lock files are looked for beside the link and beside its target.
3. **Atomic**: the new content goes to a temporary file in the target's folder, is fsynced,
   given the old file's mode (and owner, where allowed) and renamed over the target; the
   folder is fsynced. At any moment the target is the old file or the complete new one.
   Errors of the disk (full, quota, read-only file system, too large, I/O) while writing
   are one line that says the previous file is untouched, not a traceback.
4. **Backups** (``backup=True``, refresh and ``build --overwrite``): just before the rename
   the previous file is kept as ``<stem>.backup-YYYYmmdd-HHMMSS[-N]<ext>`` beside it
   (``-2``, ``-3``... when the second's name is taken: names are claimed with a hard link
   or ``O_EXCL``, so concurrent writers never collide). The backup is a hard link to the
   old file, which the rename then leaves to it alone: no copy, no space needed. Where
   the file system has no hard links the old file is copied to a temporary file first; a
   failed copy (a full disk) removes it. After a successful write only backups named
   exactly so (the stem escaped, the timestamp parsed: :func:`backups_of`) are rotated,
   the newest :data:`BACKUPS` kept by timestamp then ``N``; nothing else is touched.
5. **Leftovers of killed runs are removed** at the next write of the same target
   (:func:`stale_temp_files`). A temporary file is named
   ``.<stem>.<host>-<pid>-<random><ext>.tmp`` (``host``: a hash of the machine's name) and
   is stale when the process that made it is gone from this machine (or it is older than
   :data:`STALE_ALWAYS`: its process id was reused); one made on another machine sharing
   the folder, or by an older release (``.<stem>.<random><ext>.tmp``,
   ``<stem>.backup-...<ext>.tmp``), when it is older than :data:`STALE_AFTER`. Only this
   target's exact temporary names are considered.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import itertools
import os
import re
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from kpi_xl.errors import KpiXlError

#: Backups kept of a file written with ``backup=True`` (the newest ones).
BACKUPS = 5
#: Seconds after which a temporary file of another machine or an older release is stale.
STALE_AFTER = 10 * 60
#: Seconds after which any temporary file of the target is stale (its pid was reused).
STALE_ALWAYS = 24 * 60 * 60

_STAMP = "%Y%m%d-%H%M%S"
_RANDOM = "[a-z0-9_]{8}"  # tempfile's random part: 8 of a-z, 0-9, _
#: errno values that mean "the disk cannot take this file", raised while writing it
_DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}
#: errno values of os.link on a file system without hard links (FAT, some network shares)
_NO_LINKS = {errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK,
             errno.EXDEV, errno.ENOSYS, errno.EINVAL}  # fmt: skip


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


HOST = _host()


# -- lock files -------------------------------------------------------------------------


def lock_files(path: str | Path) -> list[Path]:
    """Lock files beside ``path`` (and beside its target, when it is a symbolic link) that
    say another program has it open.

    LibreOffice writes ``.~lock.NAME#``. Microsoft Office writes an owner file ``~$NAME``;
    for a long name it replaces the first characters instead (Word always does: a stem of
    7 characters loses one, 8 or more lose two; LibreOffice's reverse engineering in
    ``svl/source/misc/msodocumentlockfile.cxx`` found Excel 2016 keeping the whole name,
    other versions are reported to cut it like Word), so every form is looked for.
    """
    path = Path(path)
    found: list[Path] = []
    for where in dict.fromkeys([path.absolute(), _resolve(path)]):
        name, stem = where.name, where.stem
        candidates = [f"~${name}", f".~lock.{name}#"]
        if len(stem) == 7:
            candidates.append(f"~${name[1:]}")
        elif len(stem) >= 8:
            candidates.append(f"~${name[2:]}")
        found.extend(where.with_name(c) for c in candidates if os.path.lexists(where.with_name(c)))
    return list(dict.fromkeys(found))


def check_not_open(path: str | Path, what: str = "file") -> None:
    """Refuse ``path`` while a lock file says LibreOffice or Excel has it open."""
    locks = lock_files(path)
    if locks:
        lock = locks[0]
        program = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
        raise KpiXlError(
            f"the {what} is open in {program} (lock file {lock.name}); close it and try "
            "again (if no one has it open, delete the lock file)",
            file=path,
        )


# -- checks before writing ----------------------------------------------------------------


def _resolve(path: Path) -> Path:
    """``path`` with every symbolic link resolved (a dangling link: the path it names)."""
    return Path(os.path.realpath(path))


def _kind(mode: int) -> str:
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISFIFO: "a FIFO (named pipe)",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


def _read_only(st: os.stat_result, path: Path, access: int) -> bool:
    # the mode bits on purpose: root may write anything, but a file (or folder) without a
    # write permission bit was made read-only by someone who meant it
    return not st.st_mode & 0o222 or not os.access(path, access)


def check_target(
    target: str | Path, *, overwrite: bool = True, exists_hint: str = "", what: str = "file"
) -> Path:
    """Check that ``target`` may be written (rule 1 of the module docstring); returns the
    path to write: ``target`` with its symbolic links resolved.

    ``exists_hint`` follows "the file already exists" when ``overwrite`` is false;
    ``what`` names the file in messages ("the workbook is open in Excel").
    """
    target = Path(target)
    real = _resolve(target)
    name = f"{target} (-> {real})" if target.is_symlink() else str(target)
    try:
        check_not_open(target, what)
        folder = real.parent
        while True:  # the folder, or the nearest one above it (the rest will be created)
            try:
                fst = folder.stat()
                break
            except (FileNotFoundError, NotADirectoryError):
                if folder.parent == folder:
                    raise
                folder = folder.parent
        if not stat.S_ISDIR(fst.st_mode):
            raise KpiXlError(f"{folder} is not a folder", file=name)
        if _read_only(fst, folder, os.W_OK | os.X_OK):
            raise KpiXlError(
                f"the folder {folder} is read-only (no write permission); write elsewhere",
                file=name,
            )
        if folder != real.parent:
            return real  # its folder will be created: there is no file yet
        try:
            st = real.stat()
        except FileNotFoundError:
            return real
        if not stat.S_ISREG(st.st_mode):
            hint = "; name a file in it" if stat.S_ISDIR(st.st_mode) else ""
            raise KpiXlError(
                f"the path is {_kind(st.st_mode)}, not a regular file: kpi_xl writes only "
                f"regular files{hint}",
                file=name,
            )
        if not overwrite:
            raise KpiXlError(
                f"the {what} already exists" + (f": {exists_hint}" if exists_hint else ""),
                file=name,
            )
        if _read_only(st, real, os.W_OK):
            raise KpiXlError(
                f"the {what} is read-only: make it writable (chmod u+w) or write elsewhere",
                file=name,
            )
    except OSError as exc:
        raise write_error(exc, name) from None
    return real


_REASONS = {
    errno.ENOSPC: ("no space left on the disk", "free some space or write elsewhere"),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space or write elsewhere"),
    errno.EFBIG: ("the file is too large for this file system", "write elsewhere"),
    errno.EROFS: ("the disk is read-only", "write elsewhere"),
    errno.EIO: ("the disk reported an input/output error", "check the disk or write elsewhere"),
    errno.EACCES: ("permission denied", "write in a folder you may write to"),
    errno.EPERM: ("permission denied", "write in a folder you may write to"),
    errno.ENAMETOOLONG: ("the name is too long for this file system", "choose a shorter one"),
    errno.ELOOP: ("a symbolic link in the path points back at itself", "fix the link"),
    errno.EISDIR: ("the path is a folder, not a file", "name a file"),
    errno.ENOTDIR: ("a part of the path is not a folder", "check the path"),
    errno.ENOENT: ("its folder does not exist (any more)", "check the path"),
}


def _reason(exc: OSError) -> tuple[str, str]:
    """What went wrong and what to do, for an ``OSError`` met while writing."""
    return _REASONS.get(exc.errno or 0, (str(exc.strerror or exc), "write elsewhere"))


def write_error(exc: OSError, target: str | Path) -> KpiXlError:
    """The one-line error of an ``OSError`` met while writing ``target``: what went wrong,
    that the previous file is untouched, what to do."""
    what, todo = _reason(exc)
    return KpiXlError(f"could not write it: {what}; nothing was replaced: {todo}", file=target)


def _disk_error(exc: BaseException) -> OSError | None:
    """The disk error behind ``exc``: itself, its cause or context, or an argument (as
    XlsxWriter's ``FileCreateError(OSError)``)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = [current, *(a for a in current.args if isinstance(a, BaseException))]
        for item in found:
            if isinstance(item, OSError) and item.errno in _DISK_ERRORS:
                return item
        current = current.__cause__ or current.__context__
    return None


# -- temporary files ----------------------------------------------------------------------


def _temp_stem(real: Path) -> str:
    """The stem in temporary names: a very long one is cut (and hashed) so that the
    temporary name stays within the file system's 255 bytes."""
    if len(real.name.encode("utf-8", "surrogateescape")) <= 160:
        return real.stem
    digest = hashlib.sha256(real.name.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return f"{real.stem[:40]}~{digest}"


def new_temp_file(target: str | Path) -> Path:
    """An empty private temporary file beside ``target`` (already resolved), named as
    rule 5 of the module docstring says."""
    real = Path(target)
    fd, name = tempfile.mkstemp(
        prefix=f".{_temp_stem(real)}.{HOST}-{os.getpid()}-",
        suffix=f"{real.suffix}.tmp",
        dir=real.parent,
    )
    os.close(fd)
    return Path(name)


def _running(pid: int) -> bool:
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) would end the process
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:  # PermissionError: someone else's process
        return True
    return True


def stale_temp_files(target: str | Path, now: float | None = None) -> list[Path]:
    """Temporary files of ``target`` left by killed or crashed runs (rule 5)."""
    real = _resolve(Path(target))
    stem, suffix = re.escape(real.stem), re.escape(real.suffix)
    ours = re.compile(
        rf"\.{re.escape(_temp_stem(real))}\.([0-9a-f]{{8}})-(\d{{1,10}})-{_RANDOM}{suffix}\.tmp"
    )
    legacy = re.compile(
        rf"\.{stem}\.{_RANDOM}{suffix}\.tmp|{stem}\.backup-\d{{8}}-\d{{6}}(?:-\d+)?{suffix}\.tmp"
    )
    now = time.time() if now is None else now
    stale = []
    try:
        entries = list(os.scandir(real.parent))
    except OSError:
        return []
    for entry in entries:
        match = ours.fullmatch(entry.name)
        if not match and not legacy.fullmatch(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if match and match.group(1) == HOST:
            gone = not _running(int(match.group(2))) or age > STALE_ALWAYS
        else:
            gone = age > STALE_AFTER
        if gone:
            stale.append(Path(entry.path))
    return sorted(stale)


def remove_stale_temp_files(target: str | Path) -> list[Path]:
    """Remove :func:`stale_temp_files` of ``target`` (best effort); returns those removed."""
    removed = []
    for path in stale_temp_files(target):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


# -- backups ------------------------------------------------------------------------------


def _backup_name(real: Path, stamp: str, n: int) -> Path:
    return real.with_name(f"{real.stem}.backup-{stamp}{'' if n == 1 else f'-{n}'}{real.suffix}")


def backup_path(path: str | Path, now: dt.datetime | None = None) -> Path:
    """The name the next backup of ``path`` would take (not claimed: :func:`keep_backup`
    claims its name atomically)."""
    real = _resolve(Path(path))
    stamp = (now or dt.datetime.now()).strftime(_STAMP)
    return next(
        c
        for c in (_backup_name(real, stamp, n) for n in itertools.count(1))
        if not os.path.lexists(c)
    )


def backups_of(path: str | Path) -> list[Path]:
    """Backups of ``path`` (beside its target, when it is a symbolic link), oldest first:
    regular files named exactly ``<stem>.backup-YYYYmmdd-HHMMSS[-N]<ext>``, ordered by the
    parsed timestamp, then ``N``."""
    return [path for *_, path in _backups(_resolve(Path(path)))]


def _backups(real: Path) -> list[tuple[dt.datetime, int, Path]]:
    pattern = re.compile(
        rf"{re.escape(real.stem)}\.backup-(\d{{8}}-\d{{6}})(?:-([2-9]|[1-9]\d+))?"
        rf"{re.escape(real.suffix)}"
    )
    found: list[tuple[dt.datetime, int, Path]] = []
    try:
        entries = list(os.scandir(real.parent))
    except OSError:
        return []
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match:
            continue
        try:
            when = dt.datetime.strptime(match.group(1), _STAMP)
            if not entry.is_file(follow_symlinks=False):
                continue
        except (ValueError, OSError):
            continue
        found.append((when, int(match.group(2) or 1), Path(entry.path)))
    return sorted(found)


def keep_backup(path: str | Path, now: dt.datetime | None = None) -> Path:
    """Keep the current content of ``path`` as its next backup (rule 4); returns it.

    The name is claimed atomically, so concurrent calls in the same second get ``-2``,
    ``-3``...; numbers go on from the highest of that second (one freed by rotation is not
    reused: it would sort as the oldest). A failure leaves no partial file and raises a
    one-line error.
    """
    real = _resolve(Path(path))
    stamp = (now or dt.datetime.now()).strftime(_STAMP)
    try:
        for n in itertools.count(_next_number(real, stamp)):
            candidate = _backup_name(real, stamp, n)
            try:
                os.link(real, candidate)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
                break
            return candidate
        return _copy_backup(real, stamp)
    except OSError as exc:
        what, todo = _reason(exc)
        raise KpiXlError(
            f"could not keep a backup of it: {what}; nothing was replaced: {todo}", file=path
        ) from None


def _next_number(real: Path, stamp: str) -> int:
    """1 (no number), or one more than the highest number of ``stamp``'s backups."""
    taken = [n for when, n, _ in _backups(real) if when.strftime(_STAMP) == stamp]
    return max(taken, default=0) + 1


def _copy_backup(real: Path, stamp: str) -> Path:
    tmp = new_temp_file(real)
    try:
        shutil.copy2(real, tmp)
        _fsync_file(tmp)
        for n in itertools.count(_next_number(real, stamp)):
            candidate = _backup_name(real, stamp, n)
            try:
                os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                continue
            try:
                tmp.replace(candidate)
            except BaseException:
                candidate.unlink(missing_ok=True)
                raise
            return candidate
        raise AssertionError("unreachable")  # pragma: no cover
    finally:
        tmp.unlink(missing_ok=True)


def rotate_backups(path: str | Path, keep: int = BACKUPS) -> list[Path]:
    """Remove all but the newest ``keep`` :func:`backups_of` ``path``; returns those
    removed. A backup that cannot be removed is left (the write itself succeeded)."""
    removed = []
    for old in backups_of(path)[: -keep if keep > 0 else None]:
        with contextlib.suppress(OSError):
            old.unlink()
            removed.append(old)
    return removed


# -- the write ----------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(
    target: str | Path,
    *,
    overwrite: bool = True,
    exists_hint: str = "",
    backup: bool = False,
    keep: int = BACKUPS,
    what: str = "file",
) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; on success it replaces ``target``.

    See the module docstring: checks first (:func:`check_target`; ``overwrite=False``
    refuses an existing file, ``exists_hint`` says what to do instead), symbolic links
    written through, stale temporary files of the target removed, then the atomic
    rename. ``backup`` keeps the previous file first (the newest ``keep`` kept); ``what``
    names the file in messages ("workbook"). On an exception the temporary file (and a
    backup just made) is removed and ``target`` is left untouched; disk errors (a full
    disk...) become one-line :class:`~kpi_xl.errors.KpiXlError`.
    """
    shown = Path(target)
    real = check_target(shown, overwrite=overwrite, exists_hint=exists_hint, what=what)
    remove_stale_temp_files(real)
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        tmp = new_temp_file(real)
    except OSError as exc:
        raise write_error(exc, shown) from None
    made: Path | None = None
    try:
        try:
            yield tmp
        except Exception as exc:
            disk = _disk_error(exc)
            if disk is not None:
                raise write_error(disk, shown) from exc
            raise
        try:
            _fsync_file(tmp)
            _take_owner_and_mode(tmp, real)
            check_not_open(shown, what)  # opened while we were writing
            if backup and real.exists():
                made = keep_backup(real)
            if overwrite:
                tmp.replace(real)
            else:
                _place_new(tmp, real, shown, exists_hint)
        except OSError as exc:
            raise write_error(exc, shown) from None
    except BaseException:
        if made is not None:  # the file was not replaced: its backup is not needed
            made.unlink(missing_ok=True)
        raise
    finally:
        tmp.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # the rename is done; some file systems refuse this
        _fsync_dir(real.parent)
    if made is not None:
        rotate_backups(real, keep)


def _place_new(tmp: Path, real: Path, shown: Path, exists_hint: str) -> None:
    """Give ``tmp`` the name ``real`` unless that name was taken meanwhile."""
    try:
        os.link(tmp, real)
        return
    except FileExistsError:
        pass
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        try:  # no hard links here: claim the name, then rename over our own claim
            os.close(os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        else:
            try:
                tmp.replace(real)
            except BaseException:
                real.unlink(missing_ok=True)  # our own empty claim
                raise
            return
    raise KpiXlError(
        "the file already exists (it appeared while this one was being written)"
        + (f": {exists_hint}" if exists_hint else ""),
        file=shown,
    )


def _take_owner_and_mode(tmp: Path, real: Path) -> None:
    """mkstemp makes the file private (0600): give it the old file's mode (and owner, where
    allowed), or the mode a new file gets under the user's umask."""
    try:
        old = real.stat()
    except FileNotFoundError:
        tmp.chmod(_default_mode())
        return
    if os.name == "posix":
        mine = tmp.stat()
        if (mine.st_uid, mine.st_gid) != (old.st_uid, old.st_gid):
            with contextlib.suppress(OSError):
                os.chown(tmp, old.st_uid, old.st_gid)
    tmp.chmod(stat.S_IMODE(old.st_mode))


def _default_mode() -> int:
    return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (setting it
    to read it would race with other threads creating files)."""
    with contextlib.suppress(OSError, ValueError, StopIteration):
        with Path("/proc/self/status").open(encoding="ascii") as status:
            line = next(line for line in status if line.startswith("Umask:"))
        return int(line.split()[1], 8)
    umask = os.umask(0o077)
    os.umask(umask)
    return umask


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows has no directory fsync
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
