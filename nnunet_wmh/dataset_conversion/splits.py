"""Cross-validation folds grouped by subject and stratified by site, in nnU-Net's splits_final.json form."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from nnunet_wmh.cohorts.contents import natural_key


def assign_folds(group_sites: Mapping[str, str], *, folds: int = 5, seed: int = 12345) -> dict[str, int]:
    """Give every group (subject) a validation fold, balancing each site across folds.

    Within each site (in sorted order) the groups are shuffled with ``seed`` and dealt to folds in
    turn; the dealing continues where the previous site stopped, so fold sizes differ by at most one.

    Parameters
    ----------
    group_sites
        ``{group: site}``, one entry per subject.
    folds
        Number of folds (at most the number of groups).
    seed
        Shuffling seed (nnU-Net's own default is 12345).

    Returns
    -------
    dict
        ``{group: fold index}``.
    """
    if folds < 2:
        raise ValueError(f"need at least 2 folds, got {folds}")
    by_site: dict[str, list[str]] = defaultdict(list)
    for group, site in group_sites.items():
        by_site[site].append(group)
    rng = np.random.default_rng(seed)
    fold_of: dict[str, int] = {}
    next_fold = 0
    for site in sorted(by_site):
        groups = sorted(by_site[site], key=natural_key)
        for group in (groups[i] for i in rng.permutation(len(groups))):
            fold_of[group] = next_fold
            next_fold = (next_fold + 1) % folds
    return fold_of


def splits_final(case_groups: Sequence[tuple[str, str]], fold_of: Mapping[str, int], folds: int) -> list[dict]:
    """nnU-Net's ``splits_final.json`` content: per fold ``{"train": [...], "val": [...]}``, sorted ids.

    Parameters
    ----------
    case_groups
        ``(case id, group)`` for every training case; all cases of a group land in the same fold.
    fold_of
        From :func:`assign_folds`.
    folds
        Number of folds.
    """
    splits = []
    for fold in range(folds):
        val = sorted(case for case, group in case_groups if fold_of[group] == fold)
        train = sorted(case for case, group in case_groups if fold_of[group] != fold)
        splits.append({"train": train, "val": val})
    return splits
