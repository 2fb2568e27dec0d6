"""``python -m payments.contracts``: rewrite ``schemas/`` from the models."""

import sys

from payments.contracts.files import main

sys.exit(main())
