"""The phantom's template: the space every synthetic subject is derived from, as an atlas would be.

``nnunet_wmh synth`` writes it beside the cohort, so that registration of an atlas to native space
(``nnunet_wmh regions``) can be run, and measured, on synthetic data: each subject was made from this
template by a known affine plus a mild smooth displacement (``synth.json``), and its true native region
map is ``regions.nii.gz``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnunet_wmh.io import save_nifti
from nnunet_wmh.labels.region_table import write_region_table
from nnunet_wmh.synthetic.anatomy import PHANTOM, PhantomAnatomy
from nnunet_wmh.synthetic.phantom import SubjectPathology, SubjectTransform, sample_subject

TEMPLATE_FOLDER = "template"
#: Margin around the head in the template grid (mm).
TEMPLATE_MARGIN_MM = 4.0


@dataclass(frozen=True)
class PhantomTemplate:
    """Files of a written template (all on one grid, RAS+, isotropic voxels)."""

    t1: Path
    flair: Path
    regions: Path
    anatomy: Path
    region_table: Path


def template_grid(spacing_mm: float) -> tuple[tuple[int, int, int], np.ndarray]:
    """Shape and voxel → template (mm) affine of an isotropic grid covering the analytic phantom's head."""
    return PHANTOM.template_grid(spacing_mm, TEMPLATE_MARGIN_MM)


def write_template(
    folder: str | os.PathLike[str], *, spacing_mm: float = 1.0, anatomy: PhantomAnatomy = PHANTOM
) -> PhantomTemplate:
    """Write the template into ``folder``: ``template_T1w.nii.gz``, ``template_FLAIR.nii.gz`` (noise- and
    bias-free), ``template_regions.nii.gz`` (the white matter regions), ``template_aseg.nii.gz``
    (FreeSurfer-style anatomy) and ``regions.tsv``.

    Parameters
    ----------
    folder
        Output folder (created).
    spacing_mm
        Isotropic voxel size: 1 mm for full-size cohorts, 2 mm for ``size="small"``.
    anatomy
        The anatomy the cohort was drawn from (its template grid and region table).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shape, affine = anatomy.template_grid(spacing_mm, TEMPLATE_MARGIN_MM)
    identity = SubjectTransform(matrix=np.eye(3), translation=np.zeros(3))
    nothing = SubjectPathology(load=0.0, wmh=(), rim_mm=0.0, other=())
    sampled = sample_subject(shape, affine, identity, nothing, np.random.default_rng(0), clean=True,
                             anatomy=anatomy)  # fmt: skip
    files = PhantomTemplate(
        t1=folder / "template_T1w.nii.gz",
        flair=folder / "template_FLAIR.nii.gz",
        regions=folder / "template_regions.nii.gz",
        anatomy=folder / "template_aseg.nii.gz",
        region_table=folder / "regions.tsv",
    )
    save_nifti(sampled.t1, files.t1, affine=affine, description="nnunet_wmh synth template")
    save_nifti(sampled.flair, files.flair, affine=affine, description="nnunet_wmh synth template")
    save_nifti(sampled.regions, files.regions, affine=affine, description="nnunet_wmh synth template")
    save_nifti(sampled.anatomy, files.anatomy, affine=affine, description="nnunet_wmh synth template")
    write_region_table(anatomy.region_table, files.region_table)
    return files
