"""Routes: which images of a subject go into which channel of the model."""

from __future__ import annotations

from pathlib import Path

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.nnunet.model_route import ModelRoute
from nnunet_wmh.segment.routes import case_ids, route_subjects


def _subject(key: str, *, flair: bool = True, t1: bool = True, session: str | None = None) -> Subject:
    root = Path("/data")
    return Subject(key.split("/")[0], session, "site", root, key, key,
                   flair=root / f"{key}_FLAIR.nii.gz" if flair else None,
                   t1=root / f"{key}_T1.nii.gz" if t1 else None, split="test")  # fmt: skip


def _route(inputs: str, modalities=(), channels: int = 2, fill: str = "duplicate") -> ModelRoute:
    return ModelRoute(inputs, modalities, channels, fill, "lesion", 1, "nnunet_wmh")


def test_case_ids_are_file_name_safe_and_unique():
    subjects = [_subject("sub-01/ses-1"), _subject("Amsterdam/GE3T/100"), _subject("sub_01/ses_1")]
    assert case_ids(subjects) == ["sub-01_ses-1", "Amsterdam_GE3T_100", "sub_01_ses_1"]
    assert case_ids([_subject("a/b"), _subject("a_b")]) == ["a_b", "a_b_2"]


def test_an_interchangeable_model_takes_both_images_or_duplicates_the_one_there_is():
    subjects = [_subject("both"), _subject("flair", t1=False), _subject("t1", flair=False)]
    routes = route_subjects(subjects, _route("interchangeable"))
    assert [r.channels for r in routes] == [("flair", "t1"), ("flair", "flair"), ("t1", "t1")]
    assert [r.inputs_used for r in routes] == ["FLAIR,T1", "FLAIR,FLAIR", "T1,T1"]
    assert [r.variant for r in routes] == ["paired", "flair_only", "t1_only"]


def test_a_zero_filling_model_gets_a_zero_channel_where_the_modality_is_missing():
    routes = route_subjects([_subject("t1", flair=False)], _route("interchangeable", fill="zero"))
    assert routes[0].channels == ("zero", "t1") and routes[0].inputs_used == "zeros,T1"


def test_a_one_channel_interchangeable_model_takes_flair_when_there_is_flair():
    routes = route_subjects([_subject("both"), _subject("t1", flair=False)], _route("interchangeable", channels=1))
    assert [r.channels for r in routes] == [("flair",), ("t1",)]


def test_a_fixed_input_model_cannot_serve_a_subject_without_its_image_and_says_why():
    routes = route_subjects([_subject("both"), _subject("no_t1", t1=False)], _route("flair_t1", ("flair", "t1")))
    assert routes[0].served and not routes[1].served
    assert routes[1].reason == "no T1 image; the model (flair_t1) takes FLAIR and T1"


def test_the_route_names_the_subject_for_the_tables():
    route = route_subjects([_subject("sub-07/ses-2", session="ses-2")], _route("interchangeable"))[0]
    info = route.info()
    assert (info.participant_id, info.session_id, info.variant) == ("sub-07", "ses-2", "paired")


def test_a_three_modality_model_fills_each_missing_channel_by_its_fill_order():
    root = Path("/data")
    t2_only = Subject("a", None, "", root, "a", "a", others=(("t2", root / "a_T2.nii.gz"),), split="test")
    t1_t2 = _subject("b", flair=False).with_image("t2", root / "b_T2.nii.gz")
    flair_only = _subject("c", t1=False)
    nothing = Subject("d", None, "", root, "d", "d", others=(("pd", root / "d_PD.nii.gz"),), split="test")
    route = ModelRoute("interchangeable", ("flair", "t1", "t2"), 3, "duplicate", "lesion", 1, "nnunet_wmh",
                       ("flair", "t2", "t1"))  # fmt: skip
    routes = route_subjects([t2_only, t1_t2, flair_only, nothing], route)
    assert [r.inputs_used for r in routes[:3]] == ["T2,T2,T2", "T2,T1,T2", "FLAIR,FLAIR,FLAIR"]
    assert [r.variant for r in routes[:3]] == ["t2", "t1+t2", "flair"]
    assert routes[3].reason == "no FLAIR, T1 or T2 image"
    zero = ModelRoute("interchangeable", ("flair", "t1", "t2"), 3, "zero", "lesion", 1, "nnunet_wmh")
    assert route_subjects([t1_t2], zero)[0].channels == ("zero", "t1", "t2")
    fixed = route_subjects([t1_t2, flair_only], _route("flair,t2", ("flair", "t2")))
    assert fixed[1].reason == "no T2 image; the model (flair,t2) takes FLAIR and T2" and not fixed[0].served
