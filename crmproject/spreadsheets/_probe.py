"""A second line of defence: python-calamine reads the workbook first in a forked child process with bounded memory.

The guard (PackageGuard, the .ods and .xls scans) measures what python-calamine
will build before it builds it; should a future python-calamine read a file
otherwise than the guard does, the worker would abort or run out of memory.
`probe_workbook` forks, limits the child's address space (RLIMIT_AS) to what
the worker uses now plus `memory_bytes`, has it open the workbook and load
every visible worksheet, and waits at most `seconds`. A child killed by the
limit (python-calamine aborts when an allocation fails), or by the clock,
becomes a LimitExceeded naming the limit: a message, not a dead worker. A
child that python-calamine refuses the file in exits quietly: the worker's
own reading says why.

The child only runs python-calamine and leaves with os._exit: it never
touches the database connections, files or locks it inherits.
"""

from __future__ import annotations

import io
import logging
import os
import resource
import select
import signal

from crmproject.i18n import _

from .limits import LimitExceeded, megabytes

_log = logging.getLogger(__name__)
_CALAMINE_REFUSED = 3
_OUT_OF_MEMORY = 4


def _address_space() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmSize:")) * 1024


def probe_workbook(data: bytes, filename: str, *, memory_bytes: int, seconds: float) -> None:
    """Raise LimitExceeded if python-calamine cannot read the workbook within `memory_bytes` more and `seconds`."""
    budget = _address_space() + memory_bytes
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)  # python-calamine's report of a failed allocation: the worker logs the verdict
            resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
            from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

            try:
                book = CalamineWorkbook.from_filelike(io.BytesIO(data))
                for entry in book.sheets_metadata:
                    if entry.typ == SheetTypeEnum.WorkSheet and entry.visible == SheetVisibleEnum.Visible:
                        book.get_sheet_by_name(entry.name)
            except CalamineError:
                code = _CALAMINE_REFUSED
        except MemoryError:
            code = _OUT_OF_MEMORY
        except BaseException:  # noqa: BLE001 - anything else the child meets is the same verdict: unreadable here
            code = _OUT_OF_MEMORY
        finally:
            os._exit(code)
    status = _wait(pid, seconds)
    if status is None or os.WIFSIGNALED(status) or os.WEXITSTATUS(status) == _OUT_OF_MEMORY:
        _log.warning("python-calamine could not read %s in a child process within %s MB and %s s (exit status %s); "
                     "the guard let it through", filename, memory_bytes // (1024 * 1024), seconds, status)
    if status is None:
        raise LimitExceeded(_(
            "%(file)s takes more than %(limit)s seconds to read; the limit is %(limit)s seconds. Split the file, or "
            "delete the sheets and columns you do not import.", file=filename, limit=f"{seconds:g}"))
    if os.WIFSIGNALED(status) or os.WEXITSTATUS(status) == _OUT_OF_MEMORY:
        raise LimitExceeded(_(
            "%(file)s needs more than %(limit)s of memory to read; the limit is %(limit)s. Split the file, or delete "
            "the sheets and columns you do not import.", file=filename, limit=megabytes(memory_bytes)))


def _wait(pid: int, seconds: float) -> int | None:
    """The child's exit status, or None when it ran out of time (it is killed then)."""
    handle = os.pidfd_open(pid)
    try:
        ready, _write, _error = select.select([handle], [], [], seconds)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        if ready:
            return os.waitpid(pid, 0)[1]
        _reap(pid)
        return None
    finally:
        os.close(handle)


def _reap(pid: int) -> None:
    os.waitpid(pid, 0)
    return None
