import pickle

import numpy as np
import pytest
import torch

from nnunet_wmh.trainers.nnunet_wmh_modality_dropout import nnUNetTrainerModalityDropout
from nnunet_wmh.training.augmentation import ModalityDropoutTransform, insert_modality_dropout


def sample(seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    return {
        "image": torch.randn((2, 4, 5, 6), generator=generator),
        "segmentation": torch.randint(0, 2, (1, 4, 5, 6), generator=generator),
    }


def test_p1_makes_the_two_channels_bit_identical_copies_of_an_original_channel():
    np.random.seed(0)
    transform = ModalityDropoutTransform(p=1.0)
    for seed in range(20):
        original = sample(seed)
        before = original["image"].clone()
        after = transform(**original)["image"]
        assert torch.equal(after[0], after[1])
        assert torch.equal(after[0], before[0]) or torch.equal(after[0], before[1])


def test_p0_changes_nothing():
    np.random.seed(0)
    transform = ModalityDropoutTransform(p=0.0)
    for seed in range(20):
        data = sample(seed)
        image, segmentation = data["image"].clone(), data["segmentation"].clone()
        out = transform(**data)
        assert torch.equal(out["image"], image) and torch.equal(out["segmentation"], segmentation)


@pytest.mark.parametrize("p", [0.25, 0.5, 0.75])
def test_dropout_rate_matches_p_over_2000_seeded_samples_and_both_directions_occur(p):
    np.random.seed(1234)
    transform = ModalityDropoutTransform(p=p)
    kept_flair = kept_t1 = 0
    for seed in range(2000):
        data = sample(seed % 7)
        before = data["image"].clone()
        after = transform(**data)["image"]
        if torch.equal(after[0], after[1]):
            kept_flair += torch.equal(after[0], before[0])
            kept_t1 += torch.equal(after[0], before[1])
        else:
            assert torch.equal(after, before)
    assert abs((kept_flair + kept_t1) / 2000 - p) <= 0.03
    assert abs(kept_flair - kept_t1) / 2000 <= 0.05 and min(kept_flair, kept_t1) > 0


def test_zero_fill_writes_exact_zeros_and_keeps_the_other_channel():
    np.random.seed(3)
    transform = ModalityDropoutTransform(p=1.0, fill="zero")
    seen = set()
    for seed in range(30):
        data = sample(seed)
        before = data["image"].clone()
        after = transform(**data)["image"]
        dropped = 0 if not after[0].any() else 1
        assert not after[dropped].any()
        assert torch.equal(after[1 - dropped], before[1 - dropped])
        seen.add(dropped)
    assert seen == {0, 1}


def test_the_transform_pickles_for_data_loader_workers():
    transform = ModalityDropoutTransform(p=0.3, fill="zero")
    restored = pickle.loads(pickle.dumps(transform))
    assert (restored.p, restored.fill, restored.channels) == (0.3, "zero", (0, 1))


def test_invalid_parameters_are_refused():
    with pytest.raises(ValueError, match=r"0\.\.1"):
        ModalityDropoutTransform(p=1.5)
    with pytest.raises(ValueError, match="fill"):
        ModalityDropoutTransform(fill="noise")


def pipeline_kinds(pipeline):
    return [type(t).__name__ for t in pipeline.transforms]


@pytest.mark.parametrize("deep_supervision", [True, False])
@pytest.mark.parametrize("regions", [None, [(1, 2), (2,)]])
def test_dropout_sits_after_the_intensity_transforms_and_before_deep_supervision(deep_supervision, regions):
    scales = [[1, 1, 1], [1, 0.5, 0.5]] if deep_supervision else None
    arguments = ((24, 56, 48), ((0, 0),) * 3, scales, (0, 1, 2), False)
    options = {"use_mask_for_norm": [True, True], "regions": regions, "ignore_label": 3 if regions else None}
    ours = pipeline_kinds(nnUNetTrainerModalityDropout.get_training_transforms(*arguments, **options))
    from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

    stock = pipeline_kinds(nnUNetTrainer.get_training_transforms(*arguments, **options))
    position = ours.index("ModalityDropoutTransform")
    assert ours[:position] + ours[position + 1 :] == stock  # nnU-Net's pipeline is intact
    assert position == ours.index("MaskImageTransform") + 1  # after every image intensity transform
    assert ours[position + 1] == "RemoveLabelTransform"
    if deep_supervision:
        assert ours.index("DownsampleSegForDSTransform") > position


def test_subclasses_change_p_through_the_class_attribute():
    from nnunet_wmh.trainers.nnunet_wmh_modality_dropout import (
        nnUNetTrainerModalityDropout_p025,
        nnUNetTrainerModalityDropoutZero,
    )

    arguments = ((24, 56, 48), ((0, 0),) * 3, None, (0, 1, 2), False)
    for trainer, p, fill in ((nnUNetTrainerModalityDropout_p025, 0.25, "duplicate"),
                             (nnUNetTrainerModalityDropoutZero, 0.5, "zero")):  # fmt: skip
        pipeline = trainer.get_training_transforms(*arguments)
        (dropout,) = [t for t in pipeline.transforms if isinstance(t, ModalityDropoutTransform)]
        assert (dropout.p, dropout.fill) == (p, fill)


def test_insertion_refuses_a_pipeline_that_is_not_nnunets():
    with pytest.raises(TypeError):
        insert_modality_dropout(ModalityDropoutTransform(), ModalityDropoutTransform())
