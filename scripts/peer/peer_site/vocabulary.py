"""Our bench dataset's words (helpdesk/management/bench_words.py), loaded by
the file's path: the peer's own package is called `helpdesk` too, so ours
cannot be imported here. Both datasets are then drawn from the same words."""

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[3] / "helpdesk" / "management" / "bench_words.py"
_spec = importlib.util.spec_from_file_location("our_bench_words", _PATH)
ours = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ours)
