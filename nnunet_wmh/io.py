"""NIfTI input/output, geometry checks and safe file writing.

Native space is preserved exactly: images are copied byte for byte where possible, and label maps written
here carry the reference image's affine, qform/sform codes and zooms.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nibabel as nib
import numpy as np

from nnunet_wmh.errors import ImageReadError

try:  # ISA-L inflates/deflates gzip 1.5-3x faster than zlib, with identical results
    from isal.igzip import compress as _gzip_compress
    from isal.igzip import decompress as gzip_decompress
except ImportError:  # pragma: no cover - isal is a dependency, but the code works without it
    from gzip import compress as _gzip_compress
    from gzip import decompress as gzip_decompress

logger = logging.getLogger(__name__)


def gzip_compress(data: bytes, *, level: int = 1) -> bytes:
    """Gzip ``data`` deterministically (no timestamp, no file name)."""
    return _gzip_compress(data, compresslevel=level, mtime=0)


#: Tolerance for origin (mm) and direction cosines when comparing grids.
GEOMETRY_TOLERANCE_MM = 1e-4
#: Relative tolerance for voxel spacing, as in nnU-Net's own check (``np.allclose`` default rtol).
SPACING_RTOL = 1e-5

NIFTI_SUFFIXES = (".nii.gz", ".nii")
LinkMethod = Literal["hardlink", "symlink", "copy"]


def load_nifti(path: str | os.PathLike[str]) -> nib.Nifti1Image:
    """Open a NIfTI file lazily (header now, voxels on access).

    Raises
    ------
    ImageReadError
        If the file is missing, not NIfTI, or its header cannot be parsed.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(str(path), "file not found")
    if not path.name.endswith(NIFTI_SUFFIXES):
        raise ImageReadError(str(path), "not a NIfTI file (expected .nii.gz or .nii)")
    try:  # NIfTI-1 directly (skips nibabel's format sniffing), anything else through nib.load
        image = nib.Nifti1Image.from_filename(path)
    except Exception:
        try:
            image = nib.load(path)
        except Exception as exc:  # nibabel raises many types for corrupt files
            raise ImageReadError(str(path), f"cannot be read as NIfTI ({exc})") from exc
    if not isinstance(image, nib.Nifti1Image | nib.Nifti2Image):
        raise ImageReadError(str(path), f"not a NIfTI-1/2 image ({type(image).__name__})")
    return image


def read_voxels(image: nib.Nifti1Image, path: str | os.PathLike[str]) -> np.ndarray:
    """Return the voxel array in its stored dtype (scaled only if the header asks for it).

    Label maps must be read this way, never with ``get_fdata()``. An unscaled ``.nii.gz`` is inflated in
    one call and viewed in place (read-only, Fortran order), which is markedly faster than nibabel's
    streamed reading; the values are identical to ``np.asanyarray(image.dataobj)``.
    """
    path = Path(path)
    try:
        if path.name.endswith(".nii.gz") and _is_unscaled_proxy(image):
            return _inflate_voxels(image, path)
        return np.asanyarray(image.dataobj)
    except ImageReadError:
        raise
    except Exception as exc:  # truncated gzip streams, short files
        raise ImageReadError(str(path), f"voxel data cannot be read ({exc})") from exc


def _is_unscaled_proxy(image: nib.Nifti1Image) -> bool:
    proxy = image.dataobj
    return nib.is_proxy(proxy) and float(proxy.slope) == 1.0 and float(proxy.inter) == 0.0


def _inflate_voxels(image: nib.Nifti1Image, path: Path) -> np.ndarray:
    raw = gzip_decompress(path.read_bytes())
    dtype = image.header.get_data_dtype()
    offset = int(image.dataobj.offset)
    count = int(np.prod(image.shape))
    if len(raw) < offset + count * dtype.itemsize:
        raise ImageReadError(
            str(path), f"voxel data cannot be read (file holds {len(raw) - offset} of {count * dtype.itemsize} bytes)"
        )
    return np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(image.shape, order="F")


@dataclass(frozen=True)
class Geometry:
    """The voxel grid of an image in world coordinates.

    Attributes
    ----------
    shape
        Voxel counts per axis, ``(X, Y, Z)``.
    spacing
        Voxel size per axis in mm, from the header's zooms.
    origin
        World position of voxel (0, 0, 0) in mm (nibabel's RAS+), shape (3,).
    direction
        Direction cosines, the affine's 3×3 part divided by the spacing, shape (3, 3).
    """

    shape: tuple[int, ...]
    spacing: tuple[float, ...]
    origin: np.ndarray
    direction: np.ndarray

    @classmethod
    def of(cls, image: nib.Nifti1Image) -> Geometry:
        """Read the geometry from a NIfTI header (no voxel data is loaded)."""
        affine = np.asarray(image.affine, dtype=np.float64)
        spacing = tuple(float(z) for z in image.header.get_zooms()[:3])
        linear = affine[:3, :3]
        column_norms = np.linalg.norm(linear, axis=0)
        column_norms[column_norms == 0] = 1.0
        return cls(
            shape=tuple(int(s) for s in image.shape),
            spacing=spacing,
            origin=affine[:3, 3].copy(),
            direction=linear / column_norms,
        )

    def is_orthonormal(self, tolerance: float = 1e-3) -> bool:
        """Whether the direction cosines have no shear (SimpleITK, and so nnU-Net, needs that)."""
        gram = self.direction.T @ self.direction
        return bool(np.allclose(gram, np.eye(3), atol=tolerance))


def _fmt(values) -> str:
    return "(" + ", ".join(f"{float(v):.6g}" for v in values) + ")"


def geometry_differences(
    geometry: Geometry,
    reference: Geometry,
    *,
    reference_name: str,
    tolerance_mm: float = GEOMETRY_TOLERANCE_MM,
    spacing_rtol: float = SPACING_RTOL,
    spacing_atol: float = 0.0,
) -> list[str]:
    """Describe how ``geometry`` differs from ``reference``; an empty list means same grid.

    Parameters
    ----------
    geometry, reference
        The grids to compare.
    reference_name
        How messages call the reference, e.g. ``"FLAIR"``.
    tolerance_mm
        Largest allowed difference of origin (mm) and direction cosines.
    spacing_rtol, spacing_atol
        Relative and absolute (mm) tolerance of the voxel spacing (nnU-Net's own check uses
        ``np.allclose``'s relative tolerance).
    """
    if geometry.shape != reference.shape:
        return [f"shape {geometry.shape} != {reference_name} shape {reference.shape}"]
    problems = []
    if not np.allclose(geometry.spacing, reference.spacing, rtol=spacing_rtol, atol=spacing_atol):
        problems.append(f"spacing {_fmt(geometry.spacing)} mm != {reference_name} spacing {_fmt(reference.spacing)} mm")
    origin_gap = float(np.max(np.abs(geometry.origin - reference.origin)))
    if origin_gap > tolerance_mm:
        problems.append(
            f"origin {_fmt(geometry.origin)} mm differs from {reference_name} origin "
            f"{_fmt(reference.origin)} mm by {origin_gap:.4g} mm (tolerance {tolerance_mm:g} mm)"
        )
    direction_gap = float(np.max(np.abs(geometry.direction - reference.direction)))
    if direction_gap > tolerance_mm:
        problems.append(
            f"direction cosines differ from {reference_name} by {direction_gap:.4g} (tolerance {tolerance_mm:g})"
        )
    return problems


def label_dtype_for(max_label: int) -> type[np.integer]:
    """Smallest unsigned dtype holding labels ``0..max_label`` (uint8 or uint16)."""
    if max_label < 256:
        return np.uint8
    if max_label < 65536:
        return np.uint16
    raise ValueError(f"label value {max_label} does not fit in uint16")


def save_label_map(
    labels: np.ndarray,
    reference: nib.Nifti1Image,
    path: str | os.PathLike[str],
    *,
    description: str = "nnunet_wmh label map",
) -> int:
    """Write an integer label map on the reference image's grid.

    The output header is a copy of the reference header (affine, qform/sform and their codes, zooms,
    units), with the data type set to uint8/uint16, no intensity scaling and no display window.

    Parameters
    ----------
    labels
        Non-negative integer labels, shape equal to the reference's (X, Y, Z).
    reference
        The image whose geometry the label map must carry, usually the subject's FLAIR.
    path
        Output ``.nii.gz`` path.
    description
        Header ``descrip`` text (at most 80 characters).

    Returns
    -------
    int
        Bytes written.
    """
    if labels.shape != reference.shape[:3]:
        raise ValueError(f"label shape {labels.shape} != reference shape {reference.shape}")
    dtype = label_dtype_for(int(labels.max()) if labels.size else 0)
    header = reference.header.copy()
    header["cal_min"] = 0
    header["cal_max"] = 0
    header["intent_code"] = 0
    return _write_with_header(labels.astype(dtype, copy=False), header, type(reference), path, description)


def _write_with_header(
    values: np.ndarray, header: nib.Nifti1Header, image_class: type, path: str | os.PathLike[str], description: str
) -> int:
    """Write ``values`` with a copy of a reference header: its dtype, no scaling, ``descrip``; bytes written."""
    header.set_data_dtype(values.dtype)
    header.set_slope_inter(1, 0)
    header["descrip"] = description.encode()[:80]
    path = Path(path)
    payload = image_class(values, None, header).to_bytes()
    path.write_bytes(gzip_compress(payload) if path.name.endswith(".gz") else payload)
    return path.stat().st_size


def save_float_image(
    values: np.ndarray,
    reference: nib.Nifti1Image,
    path: str | os.PathLike[str],
    *,
    description: str = "nnunet_wmh image",
) -> int:
    """Write a float32 image on the reference image's grid, with a copy of its header (affine, qform/sform
    codes, zooms); no intensity scaling. Returns the bytes written."""
    if values.shape != reference.shape[:3]:
        raise ValueError(f"image shape {values.shape} != reference shape {reference.shape}")
    float_values = np.asarray(values, dtype=np.float32)
    return _write_with_header(float_values, reference.header.copy(), type(reference), path, description)


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


@contextlib.contextmanager
def atomic_output_folder(final: str | os.PathLike[str], *, overwrite: bool) -> Iterator[Path]:
    """Build a folder under a temporary name beside ``final`` and rename it into place at the end.

    An interrupted or failed build leaves no half-written ``final``. With ``overwrite`` an existing
    ``final`` is replaced only once the new folder is complete.

    Yields
    ------
    Path
        The temporary folder to write into (same parent, so the rename is atomic).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    temporary = final.parent / f".{final.name}.partial-{token}"
    temporary.mkdir()
    try:
        yield temporary
        if final.exists():
            if not overwrite:
                raise FileExistsError(f"{final} appeared while it was being written")
            retired = final.parent / f".{final.name}.replaced-{token}"
            final.rename(retired)
            temporary.rename(final)
            shutil.rmtree(retired)
        else:
            temporary.rename(final)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
