"""The QC picture of a pair of visits: the earlier FLAIR, the later FLAIR registered onto the same grid, and the
later one with every changed lesion coloured by its class, on the axial slice of the baseline grid (RAS,
neurological convention) with the most changed lesion voxels. Drawn with numpy and Pillow, as the report's
case sheets are.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import nibabel as nib
import numpy as np
import SimpleITK as sitk
from PIL import Image, ImageDraw

from nnunet_wmh.longitudinal.matching import CHANGE_LABELS, LesionChange, change_map
from nnunet_wmh.report.pictures import canonical_ras

if TYPE_CHECKING:
    from nnunet_wmh.longitudinal.subject_change import VisitLesions

#: 0..255 RGB per class (stable grey-blue, growth and new warm, shrinking and vanished cool; none grey, which the
#: FLAIR under them is).
CLASS_COLOURS = {
    "stable": (120, 160, 200), "enlarging": (255, 140, 0), "shrinking": (80, 200, 255), "new": (255, 30, 30),
    "vanished": (40, 90, 255), "merged": (200, 80, 255), "split": (255, 220, 0), "uncertain": (255, 150, 200),
}  # fmt: skip
PANEL_PX = 320


def _on_baseline(visit: VisitLesions, baseline: VisitLesions) -> np.ndarray:
    """The visit's FLAIR on the baseline grid, (X, Y, Z)."""
    if visit is baseline:
        image = visit.flair
    else:
        image = sitk.Resample(visit.flair, baseline.flair, visit.alignment.transform, sitk.sitkLinear, 0.0,
                              sitk.sitkFloat32)  # fmt: skip
    return sitk.GetArrayFromImage(image).transpose(2, 1, 0)


def _grey(plane: np.ndarray) -> np.ndarray:
    low, high = np.percentile(plane, [1, 99]) if plane.any() else (0.0, 1.0)
    scaled = np.clip((plane - low) / max(high - low, 1e-6), 0, 1)
    return np.repeat((scaled * 255).astype(np.uint8)[..., None], 3, axis=2)


def _panel(rgb: np.ndarray, zooms: tuple[float, float], title: str) -> Image.Image:
    picture = Image.fromarray(np.ascontiguousarray(np.flipud(rgb.transpose(1, 0, 2))))  # rows: anterior at top
    height_mm, width_mm = rgb.shape[1] * zooms[1], rgb.shape[0] * zooms[0]
    scale = PANEL_PX / max(height_mm, width_mm)
    picture = picture.resize((max(1, round(width_mm * scale)), max(1, round(height_mm * scale))), Image.NEAREST)
    framed = Image.new("RGB", (PANEL_PX, PANEL_PX + 18), "black")
    framed.paste(picture, ((PANEL_PX - picture.width) // 2, 18 + (PANEL_PX - picture.height) // 2))
    ImageDraw.Draw(framed).text((4, 3), title, fill="white")
    return framed


def pair_picture(folder: Path, baseline: VisitLesions, earlier: VisitLesions, later: VisitLesions,
                 changes: list[LesionChange]) -> Path:  # fmt: skip
    """Write ``folder/sub-X_ses-A_to_ses-B_change.png`` (see the module docstring); returns its path."""
    affine = baseline.nifti.affine
    classes = change_map(later.on_baseline, changes, side="followup")
    before = change_map(earlier.on_baseline, changes, side="baseline")
    classes = np.where(classes > 0, classes, before)  # vanished lesions are only in the earlier visit
    classes, order = canonical_ras(classes, affine)  # order: the RAS axis of each stored axis
    changed = np.isin(classes, [CHANGE_LABELS[k] for k in CHANGE_LABELS if k != "stable"])
    weights = changed.sum(axis=(0, 1)) if changed.any() else (classes > 0).sum(axis=(0, 1))
    z = int(np.argmax(weights))
    zooms = tuple(float(v) for v in nib.affines.voxel_sizes(affine))
    plane_zooms = (zooms[int(np.flatnonzero(order == 0)[0])], zooms[int(np.flatnonzero(order == 1)[0])])
    first = _grey(canonical_ras(_on_baseline(earlier, baseline), affine)[0][:, :, z])
    second = _grey(canonical_ras(_on_baseline(later, baseline), affine)[0][:, :, z])
    overlay = second.copy()
    for kind, label in CHANGE_LABELS.items():
        overlay[classes[:, :, z] == label] = CLASS_COLOURS[kind]
    a, b = earlier.visit.session or "baseline", later.visit.session or "follow-up"
    panels = [_panel(first, plane_zooms, a), _panel(second, plane_zooms, f"{b} (registered)"),
              _panel(overlay, plane_zooms, "change")]  # fmt: skip
    sheet = Image.new("RGB", (PANEL_PX * 3, PANEL_PX + 36), "black")
    for k, panel in enumerate(panels):
        sheet.paste(panel, (k * PANEL_PX, 0))
    draw, x = ImageDraw.Draw(sheet), 4
    for kind, colour in CLASS_COLOURS.items():
        draw.rectangle((x, PANEL_PX + 22, x + 10, PANEL_PX + 32), fill=colour)
        draw.text((x + 14, PANEL_PX + 20), kind, fill="white")
        x += 14 + 7 * len(kind) + 12
    folder.mkdir(parents=True, exist_ok=True)
    participant = baseline.visit.participant
    path = folder / f"{participant}_{a}_to_{b}_change.png"
    sheet.save(path)
    return path
