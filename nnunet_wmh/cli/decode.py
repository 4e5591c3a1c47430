"""Reads CASE.npz/CASE.pkl written by nnUNetv2_predict --save_probabilities for a model trained on convert --mode
multitask (--encoding separate or joint) and writes OUT/CASE.nii.gz in the joint encoding. Every case is checked;
nothing is written unless all of them decode."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import add_option, add_run_flags, options_from, run_options
from nnunet_wmh.cli.formatting import finished
from nnunet_wmh.decode.options import DecodeOptions

NAME = "decode"
SUMMARY = "turn saved multitask probabilities (CASE.npz) into joint lesion x region label maps"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``decode``."""
    parser.add_argument("prediction_dir", metavar="PRED_DIR", help="nnUNetv2_predict output folder")
    parser.add_argument("--out", help="output folder (default: PRED_DIR/joint)")
    parser.add_argument("--dataset-json", help="multitask dataset.json (default: PRED_DIR/dataset.json)")
    add_option(parser, DecodeOptions, "threshold", "sigmoid threshold, strictly between 0 and 1", type=float)
    add_run_flags(parser)


def run(args: argparse.Namespace) -> int:
    """Decode; print how many cases went where."""
    from nnunet_wmh.decode.decoding import decode_prediction_folder  # heavy: SimpleITK

    result = decode_prediction_folder(args.prediction_dir, options_from(DecodeOptions, args), run_options(args))
    print(f"decoded {len(result.files)} case(s) into {result.run_summary.out}")
    return finished(result.run_summary)
