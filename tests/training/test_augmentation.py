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


def three_channel_sample(seed: int) -> dict:
    """Channels whose values tell them apart: channel c holds c + 1 everywhere (plus noise)."""
    generator = torch.Generator().manual_seed(seed)
    image = torch.stack([torch.full((3, 4, 5), float(c + 1)) for c in range(3)])
    image += 0.01 * torch.rand(image.shape, generator=generator)
    return {"image": image, "segmentation": torch.zeros((1, 3, 4, 5))}


def kept_channels(before: torch.Tensor, after: torch.Tensor) -> tuple[int, ...]:
    """The channels that survived unchanged, read from the data (each channel's values are its own)."""
    return tuple(c for c in range(before.shape[0]) if torch.equal(after[c], before[c]))


@pytest.mark.parametrize("p", [0.5, 0.8])
def test_three_channels_keep_each_subset_with_its_expected_frequency(p):
    np.random.seed(1234)
    transform = ModalityDropoutTransform(p=p, channels=3)
    counts: dict[tuple[int, ...], int] = {}
    for seed in range(2000):
        data = three_channel_sample(seed)
        before = data["image"].clone()
        kept = kept_channels(before, transform(**data)["image"])
        counts[kept] = counts.get(kept, 0) + 1
    proper = [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]
    assert set(counts) <= {(0, 1, 2), *proper}
    assert abs(counts.get((0, 1, 2), 0) / 2000 - (1 - p)) <= 0.03
    for subset in proper:  # uniform over the 2^3 - 2 proper subsets
        assert abs(counts.get(subset, 0) / 2000 - p / 6) <= 0.03, (subset, counts)


def test_three_channel_dropout_fills_like_convert_for_every_missing_set(tmp_path):
    """For each subset a sample keeps, the channels equal those convert writes for a subject with that subset."""
    from nnunet_wmh.cohorts.subject import Subject
    from nnunet_wmh.dataset_conversion.inputs import make_input_plan
    from nnunet_wmh.modalities import all_subsets

    modalities = ("flair", "t1", "t2")
    for fill, fill_order in (("duplicate", None), ("duplicate", ("t1", "t2")), ("zero", None)):
        plan = make_input_plan("interchangeable", modalities=modalities, fill_missing=fill, fill_order=fill_order)
        transform = ModalityDropoutTransform(
            p=1.0, fill=fill, channels=3, fill_order=[modalities.index(m) for m in plan.fill_order]
        )
        for subset in all_subsets(modalities)[1:]:  # the proper subsets
            images = {m: tmp_path / f"{m}.nii.gz" for m in subset}
            subject = Subject("1", None, "", tmp_path, "1", "1", split="test").with_image("flair", None)
            for modality, path in images.items():
                subject = subject.with_image(modality, path)
            converted = plan.channel_sets(subject)[0]  # the case with everything the subject has
            assert converted.variant == "+".join(subset)
            data = three_channel_sample(0)
            before = data["image"].clone()
            kept = tuple(modalities.index(m) for m in subset)
            after = transform._apply_to_image(data["image"], kept=kept)
            for position, modality in enumerate(converted.channels):
                expected = torch.zeros_like(before[0]) if modality == "zero" else before[modalities.index(modality)]
                assert torch.equal(after[position], expected), (fill, fill_order, subset, converted.channels)


def test_the_trainer_reads_channels_and_fill_order_from_dataset_json():
    from nnunet_wmh.training.support import dropout_layout

    three = {
        "channel_names": {"0": "FLAIR", "1": "T1", "2": "T2"},
        "nnunet_wmh": {"modalities": ["flair", "t1", "t2"], "fill_order": ["t2", "flair", "t1"]},
    }
    assert dropout_layout(three).channels == 3 and dropout_layout(three).fill_order == (2, 0, 1)
    named = {"channel_names": {"0": "T1", "1": "T2", "2": "FLAIR"}}  # no block: names and the default order
    assert dropout_layout(named).fill_order == (2, 1, 0)
    assert dropout_layout({"channel_names": {"0": "FLAIR", "1": "T1"}}).fill_order == (0, 1)
