"""Run the fo_sam3 throughput benchmark (see fo_sam3/bench/ and benchmarks/README.md)."""

import sys

from fo_sam3.bench import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
