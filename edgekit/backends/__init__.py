"""Runtime backends edgekit adds to third-party runtimes (ExecuTorch)."""
