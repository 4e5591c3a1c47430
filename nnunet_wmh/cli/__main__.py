"""``python -m nnunet_wmh.cli``."""

import sys

from nnunet_wmh.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
