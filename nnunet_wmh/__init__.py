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

_PUBLIC = {
    "RunOptions": "nnunet_wmh.runs.options",
    "SynthOptions": "nnunet_wmh.synthetic.options",
    "make_synthetic_cohort": "nnunet_wmh.synthetic.cohort",
    "ConvertOptions": "nnunet_wmh.dataset_conversion.options",
    "convert_dataset": "nnunet_wmh.dataset_conversion.convert",
    "RegionsOptions": "nnunet_wmh.registration.options",
    "make_region_maps": "nnunet_wmh.registration.region_maps",
    "load_atlas": "nnunet_wmh.registration.atlas",
    "register_atlas": "nnunet_wmh.registration.atlas",
    "register_atlas_to_cohort": "nnunet_wmh.registration.cohort_regions",
    "coregister": "nnunet_wmh.registration.coregister",
    "DecodeOptions": "nnunet_wmh.decode.options",
    "decode_prediction_folder": "nnunet_wmh.decode.decoding",
    "EvaluateOptions": "nnunet_wmh.evaluation.options",
    "evaluate_folder": "nnunet_wmh.evaluation.evaluate",
    "evaluate_to_files": "nnunet_wmh.evaluation.files",
    "write_evaluation": "nnunet_wmh.evaluation.files",
    "challenge_metrics": "nnunet_wmh.evaluation.metrics",
    "ReportOptions": "nnunet_wmh.report.options",
    "make_report": "nnunet_wmh.report.run",
    "merge_report": "nnunet_wmh.report.finish",
    "region_burden": "nnunet_wmh.report.burden",
    "SegmentOptions": "nnunet_wmh.segment.options",
    "SubjectFiles": "nnunet_wmh.cohorts.single_subject",
    "segment_cohort": "nnunet_wmh.segment.run",
    "load_builtin_atlas": "nnunet_wmh.registration.builtin_atlas",
    "StudyOptions": "nnunet_wmh.study.options",
    "run_study": "nnunet_wmh.study.run",
    "DemoOptions": "nnunet_wmh.demo",
    "run_demo": "nnunet_wmh.demo",
    "SlurmOptions": "nnunet_wmh.slurm.options",
    "submit_segment": "nnunet_wmh.segment.slurm",
    "submit_study": "nnunet_wmh.study.slurm",
    "job_status": "nnunet_wmh.slurm.status",
}

__all__ = ["__version__", *sorted(_PUBLIC)]

__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
