"""Everything nnU-Net-specific, in one place: its folders and environment (:mod:`.folders`), dataset ids
(:mod:`.dataset_ids`), its commands as logged subprocesses (:mod:`.commands`), where it finds trainers
(:mod:`.trainer_search`), the device (:mod:`.device`), a trained model read once (:mod:`.model`, what it takes
and gives: :mod:`.model_route`) and nnU-Net's predictor in this process (:mod:`.predictor`).

Importing this package, or any module of it but :mod:`.predictor` at prediction time, loads neither torch nor
nnU-Net.
"""
