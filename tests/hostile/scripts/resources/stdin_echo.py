"""Read the whole (huge) stdin and report its size and digest."""
import hashlib
import sys


def main():
    data = sys.stdin.buffer.read()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
