import sys

from inboxd.cli import main

if __name__ == "__main__":  # the parser processes re-import the main module
    sys.exit(main())
