"""``python -m sessrec``: the same command line as ``sessrec`` (see :mod:`sessrec.cli`)."""

import sys

from sessrec.cli import main

if __name__ == "__main__":
    sys.exit(main())
