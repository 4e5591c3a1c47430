"""``nnunet_wmh evaluate``: the MICCAI WMH 2017 challenge metrics of a folder of predictions.

* :mod:`~nnunet_wmh.evaluation.metrics`: the metrics on boolean masks (Dice, HD95, AVD, lesion recall, F1);
* :mod:`~nnunet_wmh.evaluation.case`: one prediction against its reference, read and checked;
* :mod:`~nnunet_wmh.evaluation.evaluate`: folders, pairing, grid checks, the :class:`Evaluation` tables;
* :mod:`~nnunet_wmh.evaluation.summary`: mean, std, median per site and input variant;
* :mod:`~nnunet_wmh.evaluation.files`: the files written, nnU-Net's ``summary.json`` among them.

This package imports neither torch, nnU-Net, pandas nor SimpleITK, so the command starts quickly.
"""
