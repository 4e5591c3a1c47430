"""Tiny hand-made NIfTI images for the tests: oblique grids, challenge subject folders, label reading."""

from __future__ import annotations

import zlib
from pathlib import Path

import nibabel as nib
import numpy as np


def oblique_affine(spacing=(1.0, 1.0, 3.0), origin=(-10.0, 20.0, 5.0), degrees=10.0) -> np.ndarray:
    """Rotation about z × diag(spacing) + origin: an oblique grid without shear."""
    angle = np.deg2rad(degrees)
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.diag(spacing)
    affine[:3, 3] = origin
    return affine


def save(data: np.ndarray, path: Path, affine: np.ndarray | None = None) -> Path:
    """Save a NIfTI with qform and sform codes 1 (scanner)."""
    affine = oblique_affine() if affine is None else affine
    path.parent.mkdir(parents=True, exist_ok=True)
    image = nib.Nifti1Image(data, affine)
    image.header.set_qform(affine, code=1)
    image.header.set_sform(affine, code=1)
    image.to_filename(str(path))
    return path


def make_wmh2017_subject(
    root: Path, site: str, subject: str, *, shape=(10, 10, 4), lesion=None, regions=None, with_t1=True, affine=None
) -> Path:
    """A hand-made challenge subject folder with FLAIR, T1, wmh and regions (deterministic content)."""
    folder = root / site / subject
    rng = np.random.default_rng(zlib.crc32(f"{site}/{subject}".encode()))
    save(rng.uniform(100, 200, shape).astype(np.float32), folder / "pre" / "FLAIR.nii.gz", affine)
    if with_t1:
        save(rng.uniform(100, 200, shape).astype(np.float32), folder / "pre" / "T1.nii.gz", affine)
    if lesion is None:
        lesion = np.zeros(shape, dtype=np.uint8)
        lesion[2:4, 2:4, 1] = 1
        lesion[6, 6, 2] = 2
    save(lesion, folder / "wmh.nii.gz", affine)
    if regions is None:
        regions = np.zeros(shape, dtype=np.uint8)
        regions[:5] = 1
        regions[5:] = 2
    save(regions, folder / "regions.nii.gz", affine)
    return folder


def read_labels(path: Path) -> np.ndarray:
    return np.asanyarray(nib.load(path).dataobj)


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every regular file below ``folder`` → its bytes (links followed)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
