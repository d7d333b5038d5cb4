import sys
from pathlib import Path

# The package runs from this directory (python -m moe_endpoint); make the tests see it the same way.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
