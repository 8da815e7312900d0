"""`python -m lcfeat`: the `lcfeat` command."""

import sys

from lcfeat.cli import main

sys.exit(main())
