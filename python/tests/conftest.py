"""Puts the package (python/doppel) on the path, so the tests run from any folder; the
library is found as doppel finds it (DOPPEL_LIBRARY, set by ctest, or build/)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
