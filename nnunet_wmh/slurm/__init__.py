"""Running ``segment`` and ``study`` as SLURM jobs: sbatch scripts a person can read, submitted in dependency
order, and the state of a submitted run (``nnunet_wmh jobs``).

Modules: :mod:`.options` (resources), :mod:`.scripts` (the sbatch scripts), :mod:`.client` (SLURM's commands),
:mod:`.submit` (submission and its record), :mod:`.status` (the state of every job).
"""
