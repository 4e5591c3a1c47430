"""NIfTI reading and writing.

Every image a command takes is read through :func:`read_image` (or checked by it before SimpleITK reads
it): the whole file is decompressed and its size checked, it must be 3-D (a 4-D image with one volume is
read as 3-D, with a note), and floating-point voxels must be finite. Label maps are read in their stored
dtype, never through ``get_fdata()``.

Native space is preserved exactly: images are copied byte for byte where possible, and images written
here with a ``reference`` carry the reference image's affine, qform/sform codes and zooms.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nibabel as nib
import numpy as np

from nnunet_wmh.errors import ImageReadError, InputDataError

try:  # ISA-L inflates/deflates gzip 1.5-3x faster than zlib, with identical results
    from isal.igzip import compress as _gzip_compress
    from isal.igzip import decompress as gzip_decompress
except ImportError:  # pragma: no cover - isal is a dependency, but the code works without it
    from gzip import compress as _gzip_compress
    from gzip import decompress as gzip_decompress

logger = logging.getLogger(__name__)

NIFTI_SUFFIXES = (".nii.gz", ".nii")
LinkMethod = Literal["hardlink", "symlink", "copy"]


def gzip_compress(data: bytes, *, level: int = 1) -> bytes:
    """Gzip ``data`` deterministically (no timestamp, no file name)."""
    return _gzip_compress(data, compresslevel=level, mtime=0)


def nifti_stem(path: str | os.PathLike[str]) -> str | None:
    """``CASE`` of ``CASE.nii.gz`` or ``CASE.nii``; None for any other name."""
    name = Path(path).name
    for suffix in NIFTI_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return None


def load_nifti(path: str | os.PathLike[str]) -> nib.Nifti1Image:
    """Open a NIfTI file lazily (header now, voxels on access).

    Raises
    ------
    ImageReadError
        If the file is missing, a folder, not NIfTI, or its header cannot be parsed.
    """
    path = Path(path)
    if path.is_dir():
        raise ImageReadError(str(path), "is a folder; expected a NIfTI file")
    if not path.is_file():
        raise ImageReadError(str(path), "file not found")
    if nifti_stem(path) is None:
        raise ImageReadError(str(path), "not a NIfTI file (expected .nii.gz or .nii)")
    try:  # NIfTI-1 directly (skips nibabel's format sniffing), anything else through nib.load
        image = nib.Nifti1Image.from_filename(path)
    except Exception:
        try:
            image = nib.load(path)
        except Exception as exc:  # nibabel raises many types for corrupt files
            raise ImageReadError(str(path), f"cannot be read as NIfTI ({exception_summary(exc)})") from exc
    if not isinstance(image, nib.Nifti1Image | nib.Nifti2Image):
        raise ImageReadError(str(path), f"not a NIfTI-1/2 image ({type(image).__name__})")
    return image


def exception_summary(exc: BaseException) -> str:
    """The last line of an exception's text (at most 200 characters), or its type: for one-line messages."""
    text = str(exc).strip().splitlines()
    return text[-1][:200] if text else type(exc).__name__


def read_voxels(image: nib.Nifti1Image, path: str | os.PathLike[str]) -> np.ndarray:
    """Return the voxel array in its stored dtype (scaled only if the header asks for it).

    Label maps must be read this way, never with ``get_fdata()``. An unscaled ``.nii.gz`` is inflated in
    one call and viewed in place (read-only, Fortran order), which is markedly faster than nibabel's
    streamed reading; the values are identical to ``np.asanyarray(image.dataobj)``. A truncated or
    corrupt file raises :class:`ImageReadError`, never gives zeros.
    """
    path = Path(path)
    try:
        if path.name.endswith(".nii.gz") and _is_unscaled_proxy(image):
            return _inflate_voxels(image, path)
        return np.asarray(np.asanyarray(image.dataobj))
    except ImageReadError:
        raise
    except Exception as exc:  # truncated gzip streams, short files
        raise ImageReadError(
            str(path), f"voxel data cannot be read ({exception_summary(exc)}); is the file truncated?"
        ) from exc


def _is_unscaled_proxy(image: nib.Nifti1Image) -> bool:
    proxy = image.dataobj
    return nib.is_proxy(proxy) and float(proxy.slope) == 1.0 and float(proxy.inter) == 0.0


def _inflate_voxels(image: nib.Nifti1Image, path: Path) -> np.ndarray:
    raw = gzip_decompress(path.read_bytes())
    dtype = image.header.get_data_dtype()
    offset = int(image.dataobj.offset)
    count = int(np.prod(image.shape))
    if len(raw) < offset + count * dtype.itemsize:
        held = max(len(raw) - offset, 0)
        raise ImageReadError(
            str(path), f"voxel data cannot be read (file holds {held} of {count * dtype.itemsize} bytes)"
        )
    return np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(image.shape, order="F")


@dataclass(frozen=True)
class CheckedImage:
    """An image read and checked by :func:`read_image`.

    Attributes
    ----------
    path
        The file.
    image
        The NIfTI image (its header; 3-D even where the file held a 4-D image with one volume).
    voxels
        The voxels in their stored dtype, shape (X, Y, Z).
    notes
        What was done to read it (e.g. a 4-D image with one volume read as 3-D).
    """

    path: Path
    image: nib.Nifti1Image
    voxels: np.ndarray
    notes: tuple[str, ...] = ()


def dimension_problem(shape: tuple[int, ...]) -> str | None:
    """Why an image of ``shape`` is not a 3-D image (a 4-D image with one volume is), or None."""
    if len(shape) == 3 or (len(shape) == 4 and shape[3] == 1):
        return None
    if len(shape) == 4:
        return f"4-D image with {shape[3]} volumes (shape {shape}); expected a 3-D image"
    return f"{len(shape)}-D image of shape {shape}; expected a 3-D image"


def nonfinite_problem(voxels: np.ndarray) -> str | None:
    """``"N voxel(s) are NaN or infinite"`` for a float array that holds such values, else None."""
    if voxels.dtype.kind not in "fc" or np.isfinite(voxels).all():
        return None
    bad = int(np.count_nonzero(~np.isfinite(voxels)))
    return f"{bad} voxel(s) are NaN or infinite"


def read_image(path: str | os.PathLike[str]) -> CheckedImage:
    """Read a whole NIfTI image and check it before any work is done with it.

    The file must exist, be NIfTI, decompress completely to the size its header gives, be 3-D (or 4-D with
    one volume, read as 3-D with a note) and hold no NaN or infinite value.

    Raises
    ------
    ImageReadError
        Naming the file and what is wrong.
    """
    path = Path(path)
    image = load_nifti(path)
    problem = dimension_problem(tuple(int(s) for s in image.shape))
    if problem:
        raise ImageReadError(str(path), problem)
    voxels = read_voxels(image, path)
    problem = nonfinite_problem(voxels)
    if problem:
        raise ImageReadError(str(path), f"{problem}; replace them (e.g. by 0) first")
    if voxels.ndim == 3:
        return CheckedImage(path, image, voxels)
    voxels = voxels[..., 0]
    squeezed = type(image)(voxels, None, image.header)
    return CheckedImage(path, squeezed, voxels, ("4-D image with one volume, read as 3-D",))


def read_subject_image(subject: str, path: str | os.PathLike[str], what: str) -> CheckedImage:
    """:func:`read_image` for a file of one subject (or case): a problem is an :class:`InputDataError`
    naming both, ``[subject] PATH: what: problem``."""
    try:
        return read_image(path)
    except ImageReadError as exc:
        raise InputDataError(subject, exc.path, f"{what}: {exc.problem}") from exc


def label_dtype_for(max_label: int) -> type[np.integer]:
    """Smallest unsigned dtype holding labels ``0..max_label`` (uint8 or uint16)."""
    if max_label < 256:
        return np.uint8
    if max_label < 65536:
        return np.uint16
    raise ValueError(f"label value {max_label} does not fit in uint16")


def compact_labels(labels: np.ndarray) -> np.ndarray:
    """Non-negative integer labels in the smallest unsigned dtype that holds them (uint8 or uint16)."""
    labels = np.asarray(labels)
    return labels.astype(label_dtype_for(int(labels.max()) if labels.size else 0), copy=False)


def save_nifti(
    values: np.ndarray,
    path: str | os.PathLike[str],
    *,
    reference: nib.Nifti1Image | None = None,
    affine: np.ndarray | None = None,
    description: str = "nnunet_wmh image",
) -> int:
    """Write an array as NIfTI (gzipped for ``.nii.gz``), in its own dtype, with no intensity scaling.

    Parameters
    ----------
    values
        Voxels, shape (X, Y, Z); booleans are written as uint8.
    path
        Output ``.nii.gz`` or ``.nii``.
    reference
        Native space: the header is a copy of this image's (affine, qform/sform and their codes, zooms,
        units), without its display window and intent.
    affine
        A new grid instead: qform and sform both set to it (code 1, scanner) and units mm.
    description
        Header ``descrip`` text (at most 80 characters).

    Returns
    -------
    int
        Bytes written.
    """
    values = np.asarray(values)
    if values.dtype == bool:
        values = values.astype(np.uint8)
    if (reference is None) == (affine is None):
        raise ValueError("give exactly one of reference and affine")
    if reference is not None:
        if values.shape != reference.shape[:3]:
            raise ValueError(f"image shape {values.shape} != reference shape {reference.shape}")
        header = reference.header.copy()
        header["cal_min"], header["cal_max"], header["intent_code"] = 0, 0, 0
        image_class: type = type(reference)
    else:
        header = nib.Nifti1Header()
        header.set_qform(affine, code=1)
        header.set_sform(affine, code=1)
        header.set_xyzt_units("mm", "sec")
        image_class = nib.Nifti1Image
    header.set_data_dtype(values.dtype)
    header.set_slope_inter(1, 0)
    header["descrip"] = description.encode()[:80]
    path = Path(path)
    payload = image_class(values, None if reference is not None else affine, header).to_bytes()
    path.write_bytes(gzip_compress(payload) if path.name.endswith(".gz") else payload)
    return path.stat().st_size


def copy_as_nii_gz(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> int:
    """Copy a NIfTI file to a ``.nii.gz`` target without decoding it.

    A ``.nii.gz`` source is copied byte for byte; a ``.nii`` source is gzip-compressed (its header and
    voxel bytes stay identical once decompressed). Returns the bytes written.
    """
    source, target = Path(source), Path(target)
    if source.name.endswith(".nii.gz"):
        shutil.copyfile(source, target)
    elif source.name.endswith(".nii"):
        target.write_bytes(gzip_compress(source.read_bytes()))
    else:
        raise ValueError(f"{source}: not a NIfTI file")
    return target.stat().st_size


def link_or_copy(existing: str | os.PathLike[str], new: str | os.PathLike[str]) -> LinkMethod:
    """Make ``new`` hold the same bytes as ``existing`` with as little disk as possible.

    Tries a hard link, then a *relative* symbolic link (it stays valid when the enclosing folder is
    renamed; nnU-Net silently skips dangling links), then a copy.

    Returns
    -------
    str
        ``"hardlink"``, ``"symlink"`` or ``"copy"``.
    """
    existing, new = Path(existing), Path(new)
    try:
        os.link(existing, new)
        return "hardlink"
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise
        logger.debug("hard link %s -> %s failed (%s), trying a relative symlink", new, existing, exc)
    try:
        os.symlink(os.path.relpath(existing, start=new.parent), new)
        return "symlink"
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise
        logger.debug("symlink %s -> %s failed (%s), copying", new, existing, exc)
    shutil.copyfile(existing, new)
    return "copy"
