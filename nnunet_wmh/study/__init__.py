"""``nnunet_wmh study``: the paper's comparison (input configurations, multi-task vs separate models) in one resumable command."""
