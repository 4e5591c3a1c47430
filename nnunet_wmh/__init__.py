"""nnU-Net v2 plugin for white matter hyperintensity segmentation and localization in native space.

The commands' functions are importable from here; each is imported on first use, so that importing the
package (or running ``nnunet_wmh evaluate``) stays free of torch, nnU-Net and pandas::

    from nnunet_wmh import ConvertOptions, RunOptions, convert_dataset, evaluate_to_files, make_report

Every command's function takes its inputs, its options (``ConvertOptions``, ``ReportOptions``, ...) and the
shared :class:`~nnunet_wmh.runs.options.RunOptions`, or their fields as keywords::

    convert_dataset("cohort", mode="flair_t1", dataset_id=501, jobs=4)
"""

from __future__ import annotations

from nnunet_wmh.lazy import lazy_exports

__version__ = "0.1.0"


__getattr__, __dir__, _COMMAND_NAMES = lazy_exports(
    __name__,
    {
        "nnunet_wmh.runs.options": ["RunOptions"],
        "nnunet_wmh.synthetic.options": ["SynthOptions"],
        "nnunet_wmh.synthetic.cohort": ["make_synthetic_cohort"],
        "nnunet_wmh.dataset_conversion.options": ["ConvertOptions"],
        "nnunet_wmh.dataset_conversion.convert": ["convert_dataset"],
        "nnunet_wmh.registration.options": ["RegionsOptions"],
        "nnunet_wmh.registration.region_maps": ["make_region_maps"],
        "nnunet_wmh.registration.atlas": ["load_atlas", "register_atlas"],
        "nnunet_wmh.registration.cohort_regions": ["register_atlas_to_cohort"],
        "nnunet_wmh.registration.coregister": ["coregister"],
        "nnunet_wmh.decode.options": ["DecodeOptions"],
        "nnunet_wmh.decode.decoding": ["decode_prediction_folder"],
        "nnunet_wmh.evaluation.options": ["EvaluateOptions"],
        "nnunet_wmh.evaluation.evaluate": ["evaluate_folder"],
        "nnunet_wmh.evaluation.files": ["evaluate_to_files", "write_evaluation"],
        "nnunet_wmh.evaluation.metrics": ["challenge_metrics"],
        "nnunet_wmh.report.options": ["ReportOptions"],
        "nnunet_wmh.report.run": ["make_report"],
        "nnunet_wmh.report.finish": ["merge_report"],
        "nnunet_wmh.report.serve": ["serve_page"],
        "nnunet_wmh.report.burden": ["region_burden"],
        "nnunet_wmh.segment.options": ["SegmentOptions"],
        "nnunet_wmh.cohorts.single_subject": ["SubjectFiles"],
        "nnunet_wmh.segment.run": ["segment_cohort"],
        "nnunet_wmh.segment.bids_app": ["run_participant_level", "run_group_level"],
        "nnunet_wmh.longitudinal.run": ["ChangeOptions", "detect_change"],
        "nnunet_wmh.longitudinal.finish": ["merge_change"],
        "nnunet_wmh.longitudinal.slurm": ["submit_change"],
        "nnunet_wmh.registration.builtin_atlas": ["load_builtin_atlas"],
        "nnunet_wmh.study.options": ["StudyOptions"],
        "nnunet_wmh.study.run": ["run_study"],
        "nnunet_wmh.demo": ["DemoOptions", "run_demo"],
        "nnunet_wmh.slurm.options": ["SlurmOptions"],
        "nnunet_wmh.segment.slurm": ["submit_segment"],
        "nnunet_wmh.study.slurm": ["submit_study"],
        "nnunet_wmh.slurm.status": ["job_status"],
    },
)
__all__ = ["__version__", *_COMMAND_NAMES]
