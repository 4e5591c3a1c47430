"""Learning curves read from nnU-Net's own training logs."""

import math

from nnunet_wmh.study.training_logs import read_learning_curve, read_model_curves


def _epoch(number, train, val, dice):
    stamp = "2026-12-04 22:00:00.000000"
    return (f"{stamp}: \n{stamp}: Epoch {number} \n{stamp}: Current learning rate: 0.003 \n"
            f"{stamp}: train_loss {train} \n{stamp}: val_loss {val} \n{stamp}: Pseudo dice {dice} \n"
            f"{stamp}: Epoch time: 13.84 s \n")  # fmt: skip


def test_epochs_of_every_log_of_a_fold_in_order_a_continued_run_winning(tmp_path):
    fold = tmp_path / "fold_0"
    fold.mkdir()
    first = _epoch(0, 3.0, 2.5, "[np.float32(0.0), np.float32(0.5), np.float32(nan)]") + _epoch(1, 2.0, 1.5, "[0.1]")
    first += "2026-12-04 22:00:01.000000: Epoch 2 \n"  # killed during epoch 2
    (fold / "training_log_2026_12_4_21_58_44.txt").write_text("nnU-Net's banner\n" + first)
    second = _epoch(2, 1.0, 0.9, "[np.float64(0.6), np.float32(0.8)]")  # continued with --c
    (fold / "training_log_2026_12_4_23_00_00.txt").write_text(second)
    curve = read_learning_curve(fold)
    assert curve.epochs == [0, 1, 2]
    assert curve.train_loss == [3.0, 2.0, 1.0] and curve.val_loss == [2.5, 1.5, 0.9]
    assert curve.pseudo_dice[0] == 0.25  # mean of 0.0 and 0.5, the empty class (nan) left out
    assert math.isclose(curve.pseudo_dice[2], 0.7) and math.isclose(curve.last_dice, 0.7)


def test_folds_without_a_log_are_left_out(tmp_path):
    (tmp_path / "fold_1").mkdir()
    assert read_learning_curve(tmp_path / "fold_1") is None
    (tmp_path / "fold_0").mkdir()
    (tmp_path / "fold_0" / "training_log_1.txt").write_text(_epoch(0, "nan", 1.0, "[0.2]"))
    curves = read_model_curves(tmp_path, [0, 1, 2])
    assert list(curves) == [0] and math.isnan(curves[0].train_loss[0])
