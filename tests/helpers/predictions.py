"""nnU-Net's saved probabilities of a multitask model with two regions, for decode tests."""

from __future__ import annotations

import pickle

import numpy as np

from nnunet_wmh.labels.joint import JointEncoding, RegionIndex

REGIONS = RegionIndex.from_table({3: "genu", 7: "splenium"})  # R = 2: classes 1, 2


def separate_dataset_json(has_ignore=True):
    encoding = JointEncoding(REGIONS, has_ignore=has_ignore)
    labels, order = encoding.region_based_labels()
    outputs = [name for name in labels if name not in ("background", "ignore")]
    block = {**encoding.to_json(), "encoding": "separate", "outputs": outputs}
    return {"labels": labels, "regions_class_order": order, "nnunet_wmh": block}


def write_prediction(folder, case, probabilities, geometry):
    np.savez_compressed(folder / f"{case}.npz", probabilities=probabilities)
    with open(folder / f"{case}.pkl", "wb") as handle:
        pickle.dump({"sitk_stuff": geometry, "spacing": list(geometry["spacing"])[::-1]}, handle)


GEOMETRY = {"spacing": (0.958, 0.958, 3.0), "origin": (10.0, -20.0, 5.0),
            "direction": (0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0)}  # fmt: skip
