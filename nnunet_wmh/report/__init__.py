"""``nnunet_wmh report``: lesion burden per region, per subject and per lesion, QC flags, pictures, HTML, BIDS.

* :mod:`~nnunet_wmh.report.options`: :class:`ReportOptions` (how lesions are counted and located);
* :mod:`~nnunet_wmh.report.inputs`: the files of every case (prediction and companion maps, grid checks);
* :mod:`~nnunet_wmh.report.case`: measure one case (lesions, regions, periventricular, ICV), no side effects;
* :mod:`~nnunet_wmh.report.rows`: the rows one case gives every table;
* :mod:`~nnunet_wmh.report.run`: :func:`make_report` (plan, measure, write a part or the whole report);
* :mod:`~nnunet_wmh.report.parts`: parts of a sharded run, their checks, the merge and the final files;
* :mod:`~nnunet_wmh.report.lesions`, :mod:`~nnunet_wmh.report.burden`,
  :mod:`~nnunet_wmh.report.periventricular`: the measurements on arrays;
* :mod:`~nnunet_wmh.report.cohort_tables`, :mod:`~nnunet_wmh.report.pictures`, :mod:`~nnunet_wmh.report.html`,
  :mod:`~nnunet_wmh.report.bids`: the cohort tables, the PNG pictures, ``index.html``, BIDS derivatives;
* :mod:`~nnunet_wmh.report.viewer`, :mod:`~nnunet_wmh.report.page_files`, :mod:`~nnunet_wmh.report.serve`: the
  page's slice viewer (each case's files, relative to the page), the page's references, ``nnunet_wmh view``.
"""
