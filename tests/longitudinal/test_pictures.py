"""The QC picture of a pair: three panels and a legend, the changed lesions in their class colours."""

from __future__ import annotations

import numpy as np
from PIL import Image

from nnunet_wmh.longitudinal.matching import ChangeRules
from nnunet_wmh.longitudinal.pictures import CLASS_COLOURS, PANEL_PX, pair_picture
from nnunet_wmh.longitudinal.subject_change import match_pair, place_visits, read_visit
from nnunet_wmh.longitudinal.visits import read_visits


def test_the_picture_shows_both_visits_and_colours_the_changed_lesions(segmented, tmp_path):
    _, segment = segmented
    visits = [read_visit(v, connectivity=26, min_lesion_mm3=0.0) for v in read_visits(segment)["sub-003"]]
    place_visits(visits)
    changes = match_pair(*visits, rules=ChangeRules(), regions=visits[0].regions)
    path = pair_picture(tmp_path, visits[0], *visits, changes)
    assert path.name == "sub-003_ses-01_to_ses-02_change.png"
    picture = np.asarray(Image.open(path).convert("RGB"))
    assert picture.shape == (PANEL_PX + 36, 3 * PANEL_PX, 3)
    change_panel = picture[18:PANEL_PX, 2 * PANEL_PX :].reshape(-1, 3)
    shown = {kind for kind, colour in CLASS_COLOURS.items() if (change_panel == colour).all(axis=1).any()}
    assert shown and shown <= {c.kind for c in changes}
