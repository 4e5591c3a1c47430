"""``conversion.tsv``: what ``convert`` made of every case, and how later commands read it back.

One row per nnU-Net case: the case id, its split and fold, the subject, session and site it comes from,
its input variant and channels, and the source files. ``evaluate`` and ``report`` read it to group and
label their tables by subject, session, site and input variant.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnunet_wmh.errors import UsageError
from nnunet_wmh.modalities import FLAIR_ONLY, KNOWN_MODALITIES, MODALITY_NAMES, PAIRED, T1_ONLY, other_modalities
from nnunet_wmh.tsv import MISSING, read_tsv, write_tsv

CONVERSION_TSV = "conversion.tsv"
COLUMNS = ("case", "split", "subject", "session", "site", "variant", "channels", "fold", "has_label", "flair", "t1",
           "lesion", "regions", "t1_coregistered")  # fmt: skip
#: Columns a reader needs.
REQUIRED_COLUMNS = frozenset({"case", "subject", "session", "site", "variant", "channels"})

__all__ = ["FLAIR_ONLY", "PAIRED", "T1_ONLY", "CaseInfo", "read_conversion_table", "write_conversion_table"]

#: Variant of a case without a ``variant`` entry, from the modalities among its channels.
VARIANT_BY_MODALITIES = {("FLAIR", "T1"): PAIRED, ("FLAIR",): FLAIR_ONLY, ("T1",): T1_ONLY}


def bids_label(prefix: str, value: str) -> str:
    """``sub-X`` / ``ses-Y`` from an id (an existing prefix is kept, other characters than letters and
    digits are dropped); empty when nothing is left."""
    value = value.strip()
    if value.startswith(f"{prefix}-"):
        value = value[len(prefix) + 1 :]
    label = re.sub(r"[^A-Za-z0-9]", "", value)
    return f"{prefix}-{label}" if label else ""


@dataclass(frozen=True)
class CaseInfo:
    """Where a case comes from, as ``conversion.tsv`` says.

    Attributes
    ----------
    subject, session, site
        As the source names them (session empty when there is none).
    variant
        ``paired``, ``flair_only`` or ``t1_only`` in FLAIR/T1 datasets, the subset (``flair+t2``) in others
        (:mod:`nnunet_wmh.modalities`); empty for datasets without input variants.
    """

    subject: str
    session: str
    site: str
    variant: str

    @property
    def participant_id(self) -> str:
        """BIDS ``sub-…`` label of the subject."""
        return bids_label("sub", self.subject)

    @property
    def session_id(self) -> str:
        """BIDS ``ses-…`` label of the session, ``n/a`` without one."""
        return bids_label("ses", self.session) if self.session else MISSING


def table_columns(modalities: Iterable[str]) -> tuple[str, ...]:
    """:data:`COLUMNS`, plus a path column and a ``…_coregistered`` column per modality other than FLAIR and T1
    (``t2``, ``t2_coregistered``), in the order of ``modalities``."""
    others = other_modalities(tuple(modalities))
    paths = (*COLUMNS[: COLUMNS.index("lesion")], *others, *COLUMNS[COLUMNS.index("lesion") :])
    return (*paths, *(f"{m}_coregistered" for m in others))


def write_conversion_table(
    path: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]], modalities: Iterable[str] = ("flair", "t1")
) -> Path:
    """Write the rows (mappings with the :func:`table_columns` of ``modalities``) as ``conversion.tsv``."""
    return write_tsv(path, rows, table_columns(modalities))


def variant_of_channels(channels: Sequence[str]) -> str:
    """The variant of a case of a dataset without variants, from the modality names of its channels:
    ``paired``/``flair_only``/``t1_only`` for FLAIR and T1, else ``flair+t2``-style; ``""`` for none."""
    present = tuple(MODALITY_NAMES[m] for m in KNOWN_MODALITIES if MODALITY_NAMES[m] in channels)
    if present in VARIANT_BY_MODALITIES:
        return VARIANT_BY_MODALITIES[present]
    return "+".join(m for m in KNOWN_MODALITIES if MODALITY_NAMES[m] in present)


def _case_info(row: Mapping[str, str]) -> CaseInfo:
    variant = row["variant"] or variant_of_channels(row["channels"].split(","))
    return CaseInfo(row["subject"], row["session"], row["site"], variant)


def read_conversion_table(path: str | os.PathLike[str], cases: Sequence[str]) -> dict[str, CaseInfo]:
    """Subject, session, site and input variant of each case.

    Parameters
    ----------
    path
        ``conversion.tsv`` of ``convert``.
    cases
        The cases to look up; every one must have a row.

    Raises
    ------
    UsageError
        If the file is unreadable, lacks columns, or has no row for some case (names `conversion_tsv`).
    """
    path = Path(path)
    try:
        rows = read_tsv(path)
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "not a text file"
        raise UsageError(f"`conversion_tsv` {path}: cannot be read ({problem})", "conversion_tsv") from exc
    if not rows or not set(rows[0]) >= REQUIRED_COLUMNS or any(None in row or None in row.values() for row in rows):
        raise UsageError(
            f"`conversion_tsv` {path}: not a conversion table of nnunet_wmh convert (needs a header with "
            f"{', '.join(sorted(REQUIRED_COLUMNS))} and a full row per case)",
            "conversion_tsv",
        )
    by_case = {row["case"]: row for row in rows}
    absent = [case for case in cases if case not in by_case]
    if absent:
        shown = ", ".join(absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5 else "")
        raise UsageError(
            f"`conversion_tsv` {path} has no row for case(s) {shown}; is it the conversion table of this dataset?",
            "conversion_tsv",
        )
    return {case: _case_info(by_case[case]) for case in cases}
