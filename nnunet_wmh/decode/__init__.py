"""``nnunet_wmh decode``: the probabilities a multitask model saves, decoded into joint lesion × region labels
(:mod:`.decoding`; its options: :mod:`.options`)."""
