"""The one output rule of every command that writes.

* An existing output is refused (:class:`~nnunet_wmh.errors.OutputExistsError`, the same message
  everywhere) unless ``overwrite``; an empty folder counts as absent.
* An output that cannot be written (a file where a folder must be, a read-only folder, a full disk) is
  refused with :class:`~nnunet_wmh.errors.OutputError` naming the path, before any work where it can be
  told in advance.
* Outputs are built in a temporary place beside the final one and moved into place only when all of them
  are complete, so a failure or a kill leaves the previous state: :func:`atomic_output_folder` for a
  folder, :func:`atomic_output_files` for a set of files in one folder, :func:`output_folder_in_place`
  for a folder whose files record their own location (built in place, rolled back on failure).
* A run removes the temporary folders that interrupted runs of the same output left behind, and says so
  (a warning on the ``nnunet_wmh`` logger).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from nnunet_wmh.errors import OutputError, OutputExistsError

logger = logging.getLogger(__name__)

OutputKind = Literal["folder", "file"]
PARTIAL, REPLACED, PREVIOUS = "partial", "replaced", "previous"
#: Inside a temporary folder: which process builds it (``host pid``).
OWNER_FILE = ".nnunet_wmh_owner"
#: Inside a folder built in place: present until the build is complete.
INCOMPLETE_MARKER = ".nnunet_wmh_incomplete"
#: The folder of a run's SLURM jobs (scripts, records, logs) inside its output: not the run's own output.
SLURM_FOLDER = "slurm"


def _absolute(path: str | os.PathLike[str]) -> Path:
    return Path(path).expanduser().absolute()


def _check_writable_parent(path: Path) -> None:
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        if ancestor.is_symlink():
            raise OutputError(ancestor, "is a broken link; expected a folder")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(ancestor, "is a file; expected a folder")
    effective = os.access in os.supports_effective_ids  # the permissions of the running user, not of root
    if not os.access(ancestor, os.W_OK | os.X_OK, effective_ids=effective):
        raise OutputError(ancestor, "folder is not writable")


def check_output(
    path: str | os.PathLike[str], *, overwrite: bool, kind: OutputKind = "folder", ignore: Sequence[str] = ()
) -> Path:
    """Refuse an output that exists (unless ``overwrite``) or cannot be written; return it as an absolute path.

    Parameters
    ----------
    path
        The output folder or file.
    overwrite
        Whether an existing output may be replaced.
    kind
        ``folder`` (an empty folder counts as absent) or ``file``.
    ignore
        Entries of a folder that are not the output's (a folder holding only these counts as empty).

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is False.
    OutputError
        ``path`` is a file where a folder is expected (or the reverse), or its folder cannot be written.
    """
    path = _absolute(path)
    if path.is_symlink() and not path.exists():
        raise OutputError(path, "is a broken link")
    if path.exists():
        if kind == "folder" and not path.is_dir():
            raise OutputError(path, "is a file; expected a folder")
        if kind == "file" and path.is_dir():
            raise OutputError(path, "is a folder; expected a file")
        if not (kind == "folder" and not any(p.name not in ignore for p in path.iterdir())) and not overwrite:
            raise OutputExistsError(path)
    _check_writable_parent(path)
    return path


def _temporary_name(final: Path, role: str) -> Path:
    return final.parent / f".{final.name}.{role}-{uuid.uuid4().hex[:8]}"


def _siblings(final: Path, role: str) -> list[Path]:
    if not final.parent.is_dir():
        return []
    return sorted(final.parent.glob(f".{final.name}.{role}-*"))


def _owner_alive(folder: Path) -> bool:
    """Whether the process that builds ``folder`` may still be running (another machine's: assume so)."""
    try:
        host, pid_text = (folder / OWNER_FILE).read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return False  # no owner record: left by an interrupted run
    if host != socket.gethostname():
        return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(final: str | os.PathLike[str]) -> list[Path]:
    """Clean up after interrupted runs of the output ``final``; returns what was removed or restored.

    Temporary folders (``.NAME.partial-*``) whose process is gone are removed. A previous version left
    aside by a replacement that was killed midway (``.NAME.replaced-*``, ``.NAME.previous-*``) is removed
    when ``final`` is complete, and put back when ``final`` is missing or incomplete.
    """
    final = _absolute(final)
    handled = []
    if final.is_dir() and (final / INCOMPLETE_MARKER).exists():
        logger.warning("removing %s: an interrupted run left it incomplete", final)
        shutil.rmtree(final)
        handled.append(final)
    for old in [*_siblings(final, REPLACED), *_siblings(final, PREVIOUS)]:
        if final.exists():
            logger.warning("removing %s: the previous version of %s, left by an interrupted run", old, final)
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        else:
            logger.warning("restoring %s from %s, left aside by an interrupted run", final, old)
            old.rename(final)
        handled.append(old)
    for partial in _siblings(final, PARTIAL):
        if _owner_alive(partial):
            continue
        logger.warning("removing %s: an interrupted run left it behind", partial)
        shutil.rmtree(partial, ignore_errors=True)
        handled.append(partial)
    return handled


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its ancestors that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove folders a failed run created (deepest first), unless something else was put in them."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _start_temporary(final: Path) -> Path:
    temporary = _temporary_name(final, PARTIAL)
    temporary.mkdir(parents=True)
    (temporary / OWNER_FILE).write_text(f"{socket.gethostname()} {os.getpid()}\n")
    return temporary


def _write_fault(exc: OSError, final: Path) -> OutputError:
    return OutputError(exc.filename or final, f"cannot be written ({exc.strerror or exc})")


def _raise_as_output_fault(exc: OSError, temporary: Path, final: Path) -> None:
    """A filesystem fault inside the temporary folder (or without a file name) is the output's; re-raise
    anything else, a problem with an input, as it is."""
    if exc.filename is not None and not str(exc.filename).startswith(str(temporary)):
        raise exc
    raise _write_fault(exc, final) from exc


@contextlib.contextmanager
def atomic_output_folder(final: str | os.PathLike[str], *, overwrite: bool, keep: Sequence[str] = ()) -> Iterator[Path]:
    """Build a folder under a temporary name beside ``final`` and rename it into place at the end.

    ``final`` is checked by :func:`check_output` on entry. An interrupted or failed build leaves
    ``final`` as it was; with ``overwrite`` an existing ``final`` is replaced only once the new folder is
    complete. Entries of the old ``final`` named in ``keep`` (e.g. ``slurm``, whose logs are being written)
    are not the output's: a ``final`` holding only them counts as empty, and they are moved into the new
    folder at the moment of the replacement.

    Yields
    ------
    Path
        The temporary folder to write into (same parent, so the rename is atomic).

    Raises
    ------
    OutputExistsError, OutputError
        As :func:`check_output`; OutputError also for a write that fails (full disk, read-only folder).
    """
    final = _absolute(final)
    remove_stale_temporaries(final)
    check_output(final, overwrite=overwrite, kind="folder", ignore=keep)
    created = _missing_folders(final.parent)
    try:
        temporary = _start_temporary(final)
    except OSError as exc:
        _remove_if_empty(created)
        raise _write_fault(exc, final) from exc
    try:
        yield temporary
        (temporary / OWNER_FILE).unlink()
        moved = _move_kept(final, temporary, keep)
        try:
            _replace_folder(temporary, final, overwrite=overwrite)
        except BaseException:
            _move_kept(temporary, final, moved)
            raise
    except OSError as exc:
        _raise_as_output_fault(exc, temporary, final)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
            _remove_if_empty(created)


def _move_kept(source: Path, target: Path, names: Sequence[str]) -> list[str]:
    """Move the entries ``names`` of ``source`` that ``target`` lacks into ``target``; returns those moved."""
    moved = []
    for name in names:
        if (source / name).exists() and not (target / name).exists():
            (source / name).rename(target / name)
            moved.append(name)
    return moved


def _replace_folder(temporary: Path, final: Path, *, overwrite: bool) -> None:
    if final.exists() and any(final.iterdir()):
        if not overwrite:
            raise OutputExistsError(final, f"{final} appeared while it was being written")
        retired = _temporary_name(final, REPLACED)
        final.rename(retired)
        temporary.rename(final)
        shutil.rmtree(retired)
    else:
        if final.exists():
            final.rmdir()
        temporary.rename(final)


@contextlib.contextmanager
def atomic_output_files(finals: Sequence[str | os.PathLike[str]], *, overwrite: bool) -> Iterator[list[Path]]:
    """Write a set of files of one folder in a temporary folder beside them, then move them all into place.

    Files of the set that the block does not write are removed from the final folder (with
    ``overwrite``), so the set always comes from one run.

    Parameters
    ----------
    finals
        The output files, all in one folder.
    overwrite
        Whether existing files of the set may be replaced.

    Yields
    ------
    list of Path
        The temporary path of each final file, in the order given; write each file there.
    """
    paths = [_absolute(p) for p in finals]
    folders = {p.parent for p in paths}
    if len(folders) != 1:
        raise ValueError(f"output files must share one folder, got {sorted(map(str, folders))}")
    folder = folders.pop()
    remove_stale_temporaries(paths[0])
    for path in paths:
        check_output(path, overwrite=overwrite, kind="file")
    created = _missing_folders(folder)
    try:
        temporary = _start_temporary(paths[0])
    except OSError as exc:
        _remove_if_empty(created)
        raise _write_fault(exc, folder) from exc
    staged = [temporary / path.name for path in paths]
    done = False
    try:
        yield staged
        for path, written in zip(paths, staged, strict=True):
            if written.exists():
                os.replace(written, path)
            elif path.exists():
                path.unlink()
        done = True
    except OSError as exc:
        _raise_as_output_fault(exc, temporary, paths[0])
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
        if not done:
            _remove_if_empty(created)


@contextlib.contextmanager
def output_folder_in_place(final: str | os.PathLike[str], *, overwrite: bool) -> Iterator[Path]:
    """Build a folder at its final path, for outputs whose files record where they are (nnU-Net's folders).

    A marker file says the folder is incomplete until the block ends. A previous version (``overwrite``)
    is set aside first and put back if the block fails; a later run removes an incomplete folder left by
    a kill and puts the previous version back (:func:`remove_stale_temporaries`).

    Yields
    ------
    Path
        ``final``, empty but for the marker.
    """
    final = _absolute(final)
    remove_stale_temporaries(final)
    check_output(final, overwrite=overwrite, kind="folder")
    previous = None
    try:
        if final.exists() and any(final.iterdir()):
            previous = _temporary_name(final, PREVIOUS)
            final.rename(previous)
        final.mkdir(parents=True, exist_ok=True)
        (final / INCOMPLETE_MARKER).write_text("an nnunet_wmh run is building this folder\n")
    except OSError as exc:
        raise _write_fault(exc, final) from exc
    try:
        yield final
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        if previous is not None:
            previous.rename(final)
        raise
    (final / INCOMPLETE_MARKER).unlink()
    if previous is not None:
        shutil.rmtree(previous)


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold ``folder`` for this process while the block runs (a resumable output worked on in place).

    Writes ``folder/.nnunet_wmh_owner`` (``host pid``); a lock left by a process that no longer runs on
    this machine is taken over.

    Raises
    ------
    OutputError
        Another running process holds the folder (its host and pid are named).
    """
    folder = _absolute(folder)
    owner = folder / OWNER_FILE
    if owner.exists() and _owner_alive(folder):
        held_by = owner.read_text().strip()
        raise OutputError(folder, f"another nnunet_wmh run ({held_by}) is working in it; wait for it or stop it")
    try:
        owner.write_text(f"{socket.gethostname()} {os.getpid()}\n")
    except OSError as exc:
        raise _write_fault(exc, folder) from exc
    try:
        yield folder
    finally:
        owner.unlink(missing_ok=True)
