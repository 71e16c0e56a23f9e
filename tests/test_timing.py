import time

import pytest

from tests.timing import cpu_budget


def test_the_cpu_budget_counts_work_not_waiting():
    with cpu_budget(0.05):
        time.sleep(0.1)  # waiting for the machine costs no CPU
    with pytest.raises(AssertionError, match="of CPU"), cpu_budget(0.01):
        deadline = time.process_time() + 0.05
        while time.process_time() < deadline:
            pass
