"""``nnunet_wmh segment``: apply a trained model to a cohort of raw scans (see :mod:`nnunet_wmh.segment.run`)."""
