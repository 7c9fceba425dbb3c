"""Allocate 4 GB at once (far over the request's memory_limit)."""


def main():
    block = bytearray(4 << 30)
    return len(block)
