"""The test suite; what its modules share lives in tests/support."""

import pytest

# The helpers in tests/support assert too: rewrite them as pytest rewrites test modules,
# so that a failure there shows the values compared.
pytest.register_assert_rewrite("tests.support")
