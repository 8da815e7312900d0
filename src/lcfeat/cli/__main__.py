"""`python -m lcfeat.cli`: the `lcfeat` command."""

import sys

from lcfeat.cli import main

sys.exit(main())
