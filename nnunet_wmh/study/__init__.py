"""``nnunet_wmh study``: the paper's comparison of input configurations and of multi-task vs separate
models, in one resumable command."""
