"""Pictures of the report: one QC sheet per case and one cohort figure.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, so no global backend is changed).
Slices are shown in RAS orientation, axial, neurological convention (the subject's right on the right),
with the voxel aspect ratio of the native grid.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import nibabel as nib
import numpy as np

from nnunet_wmh.io import read_subject_image
from nnunet_wmh.masks import in_plane_boundary

if TYPE_CHECKING:
    from nnunet_wmh.report.burden import CaseRegions
    from nnunet_wmh.report.tables import FinalTables

SLICES = 8
LESION_COLOUR = (1.0, 0.1, 0.1)


def _canonical(values: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reorder the axes to RAS; returns the array and the axis permutation applied."""
    orientation = nib.orientations.io_orientation(affine)
    transform = nib.orientations.ornt_transform(orientation, nib.orientations.axcodes2ornt("RAS"))
    return nib.orientations.apply_orientation(values, transform), orientation[:, 0].astype(int)


def _region_colours(region_ids: np.ndarray) -> np.ndarray:
    """A colour per region id, the same in every picture; tab20 without its reds (lesions are red)."""
    from matplotlib import colormaps  # heavy: matplotlib, only with pictures

    palette = [c for k, c in enumerate(colormaps["tab20"].colors) if k not in (6, 7)]
    return np.array([palette[int(i) % len(palette)] for i in region_ids], dtype=np.float64)


def _pick_slices(lesion: np.ndarray, fallback: np.ndarray) -> list[int]:
    with_lesion = np.flatnonzero(lesion.any(axis=(0, 1)))
    candidates = with_lesion if with_lesion.size else np.flatnonzero(fallback.any(axis=(0, 1)))
    if candidates.size == 0:
        candidates = np.arange(lesion.shape[2])
    if candidates.size <= SLICES:
        return candidates.tolist()
    weights = lesion.sum(axis=(0, 1))[candidates].astype(np.float64) if with_lesion.size else None
    if weights is None or weights.sum() == 0:
        positions = np.linspace(0, candidates.size - 1, SLICES)
        return sorted({int(candidates[round(p)]) for p in positions})
    cumulative = np.cumsum(weights) / weights.sum()
    quantiles = (np.arange(SLICES) + 0.5) / SLICES
    return sorted({int(candidates[np.searchsorted(cumulative, q)]) for q in quantiles})


def _background(case: str, path: Path | None, affine: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    if path is None:
        return None
    values = np.asarray(read_subject_image(case, path, "image").voxels, dtype=np.float32)
    if values.shape != shape:
        return None
    canonical, _ = _canonical(values, affine)
    low, high = np.percentile(canonical[canonical != 0], [1, 99]) if np.any(canonical) else (0.0, 1.0)
    return np.clip((canonical - low) / max(high - low, 1e-6), 0, 1)


def _plane(
    lesion: np.ndarray, classes: np.ndarray | None, colours: np.ndarray | None, backdrop: np.ndarray | None, z: int
) -> np.ndarray:
    """One axial slice as RGB: the image, region colours blended in, lesion outlines in red."""
    plane = np.zeros((*lesion.shape[:2], 3))
    if backdrop is not None:
        plane[:] = backdrop[:, :, z, None]
    if classes is not None and colours is not None:
        inside = classes[:, :, z] > 0
        plane[inside] = 0.6 * plane[inside] + 0.4 * colours[classes[:, :, z][inside]]
    plane[in_plane_boundary(lesion[:, :, z : z + 1])[:, :, 0]] = LESION_COLOUR
    return plane


def _panel(figure, box: tuple[float, float, float, float], plane: np.ndarray, z: int, aspect: float) -> None:
    axis = figure.add_axes(box)  # a fixed grid: no layout pass
    axis.imshow(np.transpose(plane, (1, 0, 2)), origin="lower", interpolation="nearest", aspect=aspect)
    axis.text(0.02, 0.97, f"axial {z}", color="white", fontsize=8, transform=axis.transAxes, va="top")
    axis.text(0.98, 0.02, "R", color="white", fontsize=8, transform=axis.transAxes, ha="right")
    axis.text(0.02, 0.02, "L", color="white", fontsize=8, transform=axis.transAxes, ha="left")
    axis.set_axis_off()


def _legend(figure, regions: CaseRegions, colours: np.ndarray) -> None:
    from matplotlib.patches import Patch  # heavy: matplotlib, only with pictures

    handles = [Patch(color=colours[k + 1], label=name) for k, name in enumerate(regions.index.names[:20])]
    ncol = min(5, max(1, len(handles)))
    figure.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=6, frameon=False, labelcolor="white")


def case_picture(
    case: str,
    image: nib.Nifti1Image,
    lesion: np.ndarray,
    regions: CaseRegions | None,
    path: Path,
    *,
    background: Path | None = None,
) -> Path:
    """Write ``path`` (PNG): up to 8 axial slices through the lesions, with the image (if given), region
    colours and lesion outlines.

    Parameters
    ----------
    case
        Case id (title).
    image
        The prediction image (geometry).
    lesion
        Boolean lesion mask (after the minimum-size filter), shape (X, Y, Z).
    regions
        The case's regions, or None.
    path
        Output PNG.
    background
        Image file to show underneath (``CASE_0000.nii.gz``), or None for a black background.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # heavy: matplotlib, only with pictures
    from matplotlib.figure import Figure

    affine = np.asarray(image.affine, dtype=np.float64)
    lesion_ras, axes = _canonical(lesion, affine)
    spacing = np.asarray(image.header.get_zooms()[:3], dtype=np.float64)[axes]
    classes = colours = None
    if regions is not None:
        classes, _ = _canonical(regions.classes_in_box(tuple(slice(None) for _ in range(3))), affine)
        colours = np.vstack([np.zeros(3), _region_colours(np.asarray(regions.index.region_ids))])
    backdrop = _background(case, background, affine, lesion.shape)
    slices = _pick_slices(lesion_ras, classes if classes is not None else lesion_ras)
    columns, rows = 4, max(1, math.ceil(len(slices) / 4))
    height = 3.2 * rows + 0.5 + (0.7 if regions is not None else 0.0)
    figure = Figure(figsize=(3.2 * columns, height), facecolor="black")
    FigureCanvasAgg(figure)
    panel_height = 3.2 / height
    for position, z in enumerate(slices):
        row, column = divmod(position, columns)
        box = (column / columns, 1 - 0.5 / height - (row + 1) * panel_height, 1 / columns, panel_height)
        _panel(figure, box, _plane(lesion_ras, classes, colours, backdrop, z), z, spacing[1] / spacing[0])
    volume_ml = float(np.count_nonzero(lesion)) * float(np.prod(image.header.get_zooms()[:3])) / 1000
    title = f"{case}: {volume_ml:.2f} mL of lesion (red outlines)"
    figure.text(0.5, 1 - 0.25 / height, title, color="white", fontsize=11, ha="center", va="center")
    if regions is not None and colours is not None:
        _legend(figure, regions, colours)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90, facecolor="black")
    return path


def cohort_picture(tables: FinalTables, path: Path) -> Path:
    """Write ``path`` (PNG): lesion volume per region across the cohort (box plots with every case as a
    dot), or per case when the report has no regions."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # heavy: matplotlib, only with pictures
    from matplotlib.figure import Figure

    def number(text: str) -> float:
        return math.nan if text in ("", "n/a") else float(text)

    if tables.has_regions:
        names = [*(tables.region_names[i] for i in sorted(tables.region_names)), "outside_regions"]
        values = [[number(row[f"{name}_ml"]) for row in tables.rows["regions_wide"]] for name in names]
        label = "lesion volume per region (mL)"
    else:
        names = ["whole brain"]
        values = [[number(row["total_lesion_volume_ml"]) for row in tables.rows["subjects"]]]
        label = "total lesion volume (mL)"
    height = max(3.0, 0.28 * len(names) + 1.5)
    figure = Figure(figsize=(8, height))
    FigureCanvasAgg(figure)
    axis = figure.add_subplot(1, 1, 1)
    positions = np.arange(len(names))[::-1]
    axis.boxplot(values, positions=positions, orientation="horizontal", widths=0.6, showfliers=False)
    rng = np.random.default_rng(0)
    for position, column in zip(positions, values, strict=True):
        jitter = rng.uniform(-0.18, 0.18, len(column))
        axis.scatter(column, position + jitter, s=8, color="tab:red", alpha=0.6, zorder=3)
    axis.set_yticks(positions, names, fontsize=7)
    axis.set_xlabel(label)
    axis.set_title(f"{len(tables.cases)} case(s)")
    axis.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return path
