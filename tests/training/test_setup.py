"""One ``__init__`` with nnU-Net's exact signature for every trainer; trainers set themselves up in hooks."""

from __future__ import annotations

import inspect

from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from nnunet_wmh.training.setup import TrainerSetup


class FakeNnunetTrainer:
    """Records its arguments as nnU-Net does: by the names of ``type(self).__init__``'s parameters."""

    def __init__(self, plans, configuration, fold, dataset_json, device=None):
        self.calls.append("nnunet")
        self.my_init_kwargs = {}
        for name in inspect.signature(self.__init__).parameters:  # as nnUNetTrainer.__init__ does
            self.my_init_kwargs[name] = locals()[name]


class Checked(TrainerSetup, FakeNnunetTrainer):
    def check_dataset(self, plans, dataset_json):
        self.calls = ["check"]
        super().check_dataset(plans, dataset_json)

    def configure(self, dataset_json):
        super().configure(dataset_json)
        self.calls.append("configure")


class Scheduled(Checked):
    def configure(self, dataset_json):
        super().configure(dataset_json)
        self.calls.append("schedule")


def test_the_signature_is_nnunets():
    assert inspect.signature(TrainerSetup.__init__) == inspect.signature(nnUNetTrainer.__init__)


def test_the_hooks_run_around_nnunets_own_set_up_in_method_order():
    trainer = Scheduled(plans={}, configuration="2d", fold=0, dataset_json={}, device="cpu")
    assert trainer.calls == ["check", "nnunet", "configure", "schedule"]
    assert trainer.my_init_kwargs == {"plans": {}, "configuration": "2d", "fold": 0, "dataset_json": {},
                                      "device": "cpu"}  # fmt: skip
