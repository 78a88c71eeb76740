import sys

from tarlens._cli import main

sys.exit(main())
