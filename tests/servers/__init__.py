"""Real servers the test suite starts on loopback (moto, sshd, Prometheus...)."""
