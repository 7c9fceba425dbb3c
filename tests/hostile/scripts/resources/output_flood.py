"""Flood stdout and stderr with 8 MB each, with invalid UTF-8 and NUL bytes
mixed in, then return normally."""
import os


def main():
    block = (b"A" * 1000 + b"\xff\xfe\x00\xc3" + b"\n") * 1024
    for _ in range(8):
        os.write(1, block)
        os.write(2, block)
    return "flooded"
