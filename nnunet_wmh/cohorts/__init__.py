"""Cohorts: a source in one of the supported layouts read into :class:`~nnunet_wmh.cohorts.subject.Subject`
records, used by ``convert``, ``regions`` and the commands that come after them.

Adding a layout means adding one reader module here (a ``looks_like_<layout>(path)`` detector and a
``read_<layout>(path, ...) -> SourceContents``) and one entry in :data:`nnunet_wmh.cohorts.read.LAYOUTS` and
its detector list. Readers report per-subject problems (ambiguous files, duplicate rows) in
``SourceContents.problems`` instead of raising, so that every problem of a cohort is listed at once.
"""

from nnunet_wmh.cohorts.contents import SourceContents
from nnunet_wmh.cohorts.read import LAYOUTS, detect_layout, read_source
from nnunet_wmh.cohorts.region_override import apply_regions_override
from nnunet_wmh.cohorts.subject import MODALITIES, Subject

__all__ = [
    "LAYOUTS",
    "MODALITIES",
    "SourceContents",
    "Subject",
    "apply_regions_override",
    "detect_layout",
    "read_source",
]
