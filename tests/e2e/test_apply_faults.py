"""Transient trouble while applying (throttling storms, 503s, dropped connections): apply either
converges or stops before any key is issued, and the next apply (without faults) converges."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_fixture import EngineCase  # noqa: E402


class Faults(EngineCase):
    def test_throttling_storm(self):
        self.converge_or_stop_then_converge("seed=11,throttle=0.5")

    def test_503s(self):
        self.converge_or_stop_then_converge("seed=12,error503=0.4")

    def test_dropped_connections(self):
        self.converge_or_stop_then_converge("seed=13,drop=0.3")


if __name__ == "__main__":
    unittest.main(verbosity=2)
