"""One subject's flags in segment's main process."""

from __future__ import annotations

from nnunet_wmh.segment.case import IMPLAUSIBLE_LESION_ML, UNCERTAIN_ENTROPY_BITS, _flags
from nnunet_wmh.segment.prepare import GateResult


def test_implausible_volumes_and_uncertain_cases_are_flagged_with_their_numbers():
    passed = GateResult()
    assert _flags(10.0, 0.1, passed, passed) == ""
    assert _flags(IMPLAUSIBLE_LESION_ML + 10, 0.1, passed, passed) == "implausible lesion volume (160 mL > 150 mL)"
    assert _flags(5.0, UNCERTAIN_ENTROPY_BITS + 0.1, passed, passed).startswith("uncertain (lesion entropy 0.50 bits")
    assert _flags(5.0, float("nan"), passed, passed) == ""


def test_failed_gates_flag_the_subject_and_say_why_in_qc():
    failed = GateResult(-0.2, "registration did not converge (...)")
    assert _flags(5.0, 0.1, GateResult(), failed) == "regions failed QC: registration did not converge (...)"
    assert _flags(5.0, 0.1, failed, GateResult()).startswith("co-registration failed QC: registration did not")
    assert failed.qc_text(True) == "failed: registration did not converge (...)"
    assert GateResult(-0.5).qc_text(True) == "pass" and failed.qc_text(False) == "n/a"
