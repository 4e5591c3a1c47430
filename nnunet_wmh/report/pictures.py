"""Pictures of the report: one QC sheet per case and one cohort figure.

Case sheets are drawn with numpy and Pillow (fast enough for cohorts of thousands); the cohort figure with
matplotlib's object API on the Agg canvas (no pyplot, so no global backend is changed).
Slices are shown in RAS orientation, axial, neurological convention (the subject's right on the right),
with the voxel aspect ratio of the native grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import nibabel as nib
import numpy as np

from nnunet_wmh.io import read_subject_image
from nnunet_wmh.masks import in_plane_boundary

if TYPE_CHECKING:
    from nnunet_wmh.report.burden import CaseRegions
    from nnunet_wmh.report.cohort_tables import FinalTables

SLICES = 8
LESION_COLOUR = (1.0, 0.1, 0.1)


def canonical_ras(values: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reorder the axes to RAS; returns the array and, for each stored axis, the RAS axis it became."""
    orientation = nib.orientations.io_orientation(affine)
    transform = nib.orientations.ornt_transform(orientation, nib.orientations.axcodes2ornt("RAS"))
    return nib.orientations.apply_orientation(values, transform), orientation[:, 0].astype(int)


#: matplotlib's tab20 without its reds (lesions are red), as 0..255 RGB: no matplotlib import per worker.
REGION_PALETTE = np.array(
    [(31, 119, 180), (174, 199, 232), (255, 127, 14), (255, 187, 120), (44, 160, 44), (152, 223, 138),
     (148, 103, 189), (197, 176, 213), (140, 86, 75), (196, 156, 148), (227, 119, 194), (247, 182, 210),
     (127, 127, 127), (199, 199, 199), (188, 189, 34), (219, 219, 141), (23, 190, 207), (158, 218, 229)],
    dtype=np.float64,
) / 255  # fmt: skip


def _region_colours(region_ids: np.ndarray) -> np.ndarray:
    """A colour (0..1 RGB) per region id, the same in every picture."""
    return REGION_PALETTE[np.asarray(region_ids, dtype=np.int64) % len(REGION_PALETTE)]


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


@dataclass(frozen=True)
class Backdrop:
    """The image under the pictures, in RAS axis order, and the window (1st and 99th percentile) that maps to
    black and white."""

    values: np.ndarray
    low: float
    high: float

    def plane(self, z: int) -> np.ndarray:
        """Slice ``z`` scaled to 0..1."""
        return np.clip((self.values[:, :, z] - self.low) / max(self.high - self.low, 1e-6), 0, 1)


def _background(case: str, path: Path | None, affine: np.ndarray, shape: tuple[int, ...]) -> Backdrop | None:
    if path is None:
        return None
    values = read_subject_image(case, path, "image").voxels
    if values.shape != shape:
        return None
    canonical, _ = canonical_ras(values, affine)
    sample = canonical[::2, ::2, :]  # the window from every 4th voxel of each slice: the same to a percent
    sample = sample[sample != 0]
    low, high = np.percentile(sample, [1, 99]) if sample.size else (0.0, 1.0)
    return Backdrop(canonical, float(low), float(high))


def _plane(
    lesion: np.ndarray, classes: np.ndarray | None, colours: np.ndarray | None, backdrop: Backdrop | None, z: int
) -> np.ndarray:
    """One axial slice as RGB: the image, region colours blended in, lesion outlines in red."""
    plane = np.zeros((*lesion.shape[:2], 3))
    if backdrop is not None:
        plane[:] = backdrop.plane(z)[:, :, None]
    if classes is not None and colours is not None:
        inside = classes[:, :, z] > 0
        plane[inside] = 0.6 * plane[inside] + 0.4 * colours[classes[:, :, z][inside]]
    plane[in_plane_boundary(lesion[:, :, z : z + 1])[:, :, 0]] = LESION_COLOUR
    return plane


PANEL_WIDTH = 288  # pixels; 4 panels make the sheet 1152 pixels wide
TITLE_HEIGHT = 30
LEGEND_LINE = 14
LEGEND_COLUMNS = 5
WHITE = (255, 255, 255)


def _panel_image(plane: np.ndarray, aspect: float):
    """One slice as a Pillow image, anterior up, the subject's right on the right, ``aspect`` = dy / dx."""
    from PIL import Image  # heavy: Pillow, only with pictures

    pixels = np.ascontiguousarray((np.transpose(plane, (1, 0, 2))[::-1] * 255 + 0.5).astype(np.uint8))
    width, height = PANEL_WIDTH, max(1, round(PANEL_WIDTH * plane.shape[1] * aspect / plane.shape[0]))
    if height > PANEL_WIDTH:  # a tall slice: fit the height instead
        width, height = max(1, round(PANEL_WIDTH * PANEL_WIDTH / height)), PANEL_WIDTH
    return Image.fromarray(pixels, "RGB").resize((width, height), Image.Resampling.NEAREST), height


def shown_classes(classes: np.ndarray | None, slices: list[int]) -> list[int]:
    """The region classes (1-based, as in ``classes``) drawn in the axial ``slices`` of ``classes`` (RAS): the
    legend lists these, every one of them, in class order."""
    if classes is None or not slices:
        return []
    values = np.unique(classes[:, :, slices])
    return [int(v) for v in values if v > 0]


def _legend_height(shown: list[int]) -> int:
    return 8 + LEGEND_LINE * math.ceil(len(shown) / LEGEND_COLUMNS) if shown else 0


def _draw_legend(draw, regions: CaseRegions, colours: np.ndarray, shown: list[int], top: int) -> None:
    width = PANEL_WIDTH * 4 // LEGEND_COLUMNS
    for k, region_class in enumerate(shown):
        row, column = divmod(k, LEGEND_COLUMNS)
        x, y = 8 + column * width, top + 4 + row * LEGEND_LINE
        colour = tuple(int(c * 255) for c in colours[region_class])
        draw.rectangle((x, y + 2, x + 9, y + 10), fill=colour)
        draw.text((x + 14, y), regions.index.names[region_class - 1][:32], fill=WHITE)


def ras_spacing(zooms: tuple[float, ...] | np.ndarray, axes: np.ndarray) -> np.ndarray:
    """Voxel sizes (mm) in RAS axis order, given the stored axes' ``zooms`` and, for each stored axis, the RAS
    axis it became (:func:`canonical_ras`)."""
    spacing = np.empty(3, dtype=np.float64)
    spacing[np.asarray(axes, dtype=np.int64)] = np.asarray(zooms, dtype=np.float64)[:3]
    return spacing


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
    from PIL import Image, ImageDraw  # heavy: Pillow, only with pictures

    affine = np.asarray(image.affine, dtype=np.float64)
    lesion_ras, axes = canonical_ras(lesion, affine)
    spacing = ras_spacing(image.header.get_zooms()[:3], axes)
    classes = colours = None
    if regions is not None:
        classes, _ = canonical_ras(regions.classes_in_box(tuple(slice(None) for _ in range(3))), affine)
        colours = np.vstack([np.zeros(3), _region_colours(np.asarray(regions.index.region_ids))])
    backdrop = _background(case, background, affine, lesion.shape)
    slices = _pick_slices(lesion_ras, classes if classes is not None else lesion_ras)
    panels = [_panel_image(_plane(lesion_ras, classes, colours, backdrop, z), spacing[1] / spacing[0]) for z in slices]
    shown = shown_classes(classes, slices)
    columns, rows = 4, max(1, math.ceil(len(slices) / 4))
    panel_height = max((height for _, height in panels), default=PANEL_WIDTH)
    top = TITLE_HEIGHT + rows * panel_height
    sheet = Image.new("RGB", (PANEL_WIDTH * columns, top + _legend_height(shown)), (0, 0, 0))
    draw = ImageDraw.Draw(sheet)
    for position, ((panel, height), z) in enumerate(zip(panels, slices, strict=True)):
        row, column = divmod(position, columns)
        x, y = column * PANEL_WIDTH, TITLE_HEIGHT + row * panel_height
        sheet.paste(panel, (x + (PANEL_WIDTH - panel.width) // 2, y + (panel_height - height) // 2))
        draw.text((x + 4, y + 3), f"axial {z}", fill=WHITE)
        draw.text((x + 4, y + panel_height - 13), "L", fill=WHITE)
        draw.text((x + PANEL_WIDTH - 10, y + panel_height - 13), "R", fill=WHITE)
    volume_ml = float(np.count_nonzero(lesion)) * float(np.prod(image.header.get_zooms()[:3])) / 1000
    title = f"{case}: {volume_ml:.2f} mL of lesion (red outlines)"
    draw.text((sheet.width // 2, TITLE_HEIGHT // 2), title, fill=WHITE, anchor="mm")
    if regions is not None and colours is not None:
        _draw_legend(draw, regions, colours, shown, top)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, compress_level=1)
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
