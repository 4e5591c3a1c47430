"""``nnunet_wmh regions``: atlas region maps in native space, for one image or every subject of a cohort.

The atlas is the user's (``atlas_image``, ``atlas_labels``, ``region_table``) or the built-in MNI152 white
matter parcellation (:mod:`~nnunet_wmh.registration.builtin_atlas`). One image gives ``OUT/regions.nii.gz``
and its transform; a cohort gives ``OUT/<subject>/regions.nii.gz`` (:mod:`~nnunet_wmh.registration.cohort_regions`).
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnunet_wmh.errors import UsageError
from nnunet_wmh.io import nifti_stem
from nnunet_wmh.registration.atlas import RegionMapResult, load_atlas, register_atlas
from nnunet_wmh.registration.builtin_atlas import load_builtin_atlas
from nnunet_wmh.registration.cohort_regions import REGION_MAP_NAME, CohortRegions, register_atlas_to_cohort
from nnunet_wmh.registration.engine import transform_path
from nnunet_wmh.registration.options import RegionsOptions
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.outputs import check_output
from nnunet_wmh.runs.summary import RunSummary, Stopwatch

logger = logging.getLogger(__name__)

BUILTIN_ATLAS = "built-in (nilearn's MNI152 template, white matter parcellation of 31 regions)"


@dataclass(frozen=True)
class RegionMaps:
    """What ``regions`` wrote: one subject's map, or a cohort's maps.

    Attributes
    ----------
    atlas
        Which atlas was registered (the built-in one, or the user's template).
    subject
        The map of one image (None for a cohort).
    cohort
        The maps of a cohort (None for one image).
    run_summary
        What the run did.
    """

    atlas: str
    subject: RegionMapResult | None = None
    cohort: CohortRegions | None = None
    run_summary: RunSummary | None = None


def _is_image(source: str | os.PathLike[str]) -> bool:
    return Path(source).is_file() and nifti_stem(Path(source)) is not None


def single_map_path(out: str | os.PathLike[str]) -> Path:
    """Where one image's map goes: ``OUT/regions.nii.gz``; an ``OUT`` ending in ``.nii.gz`` or ``.nii`` is the
    map itself (the spelling of earlier releases, deprecated)."""
    out = Path(out).expanduser().absolute()
    if nifti_stem(out) is not None:
        logger.warning("`out` %s names the map; give the output folder instead (a file `out` is deprecated)", out)
        return out
    return out / REGION_MAP_NAME


def _check_out(out: str | os.PathLike[str], map_path: Path | None, *, overwrite: bool) -> None:
    """Refuse an output that exists (unless ``overwrite``) or cannot be written, before the atlas is loaded or
    built (the built-in atlas takes seconds): ``map_path`` and its transform for one image, the folder ``out``
    for a cohort (None).

    Raises
    ------
    OutputExistsError, OutputError
    """
    if map_path is None:
        check_output(out, overwrite=overwrite, kind="folder")
        return
    for path in (map_path, transform_path(map_path)):
        check_output(path, overwrite=overwrite, kind="file")


def make_region_maps(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: RegionsOptions | None = None,
    run: RunOptions | None = None,
    **fields: Any,
) -> RegionMaps:
    """Register the atlas to one image (a ``.nii.gz`` file) or to every subject of a cohort.

    Parameters
    ----------
    source
        A subject image, or a cohort (WMH 2017 tree, BIDS root or manifest).
    out
        Output folder: ``OUT/regions.nii.gz`` and its transform for one image, ``OUT/<subject>/regions.nii.gz``
        and ``OUT/regions.tsv`` for a cohort (which ``convert --regions OUT`` finds).
    options, run, **fields
        :class:`~nnunet_wmh.registration.options.RegionsOptions` and
        :class:`~nnunet_wmh.runs.options.RunOptions` (jobs, overwrite, progress), or their fields by name.

    Raises
    ------
    UsageError, OutputExistsError, OutputError
        Bad options, or an output that cannot be written (checked first).
    InputDataError
        An atlas that cannot be used, e.g. labels off the atlas image's grid (checked before any registration).
    InvalidInputsError, RegistrationError
        Subjects that cannot be read or registered.
    """
    clock = Stopwatch()
    options, run = resolve_options(RegionsOptions, options, run, fields)
    options.check()
    run.check()
    single = _is_image(source)
    if not single and options.wm_mask is not None:
        raise UsageError("`wm_mask` applies to one subject image, not to a cohort", "wm_mask")
    map_path = single_map_path(out) if single else None
    _check_out(out, map_path, overwrite=run.overwrite)
    with tempfile.TemporaryDirectory(prefix="nnunet_wmh_atlas_") as folder:
        if options.has_atlas:
            atlas = load_atlas(options.atlas_image, options.atlas_labels, options.region_table)  # type: ignore[arg-type]
            described = str(options.atlas_image)
        else:
            atlas, described = load_builtin_atlas(folder), BUILTIN_ATLAS
        if single:
            result = register_atlas(atlas, source, map_path, transform=options.transform,  # type: ignore[arg-type]
                                    wm_mask=options.wm_mask, overwrite=run.overwrite)  # fmt: skip
            summary = RunSummary("regions", result.region_map.parent, 1, "subject", seconds=clock.seconds)
            return RegionMaps(described, subject=result, run_summary=summary)
        cohort = register_atlas_to_cohort(atlas, source, out, options, run)
    skipped = len({problem.subject for problem in cohort.skipped})
    summary = RunSummary("regions", cohort.out_dir, len(cohort.results), "subject", skipped, seconds=clock.seconds)
    return RegionMaps(described, cohort=cohort, run_summary=summary)
