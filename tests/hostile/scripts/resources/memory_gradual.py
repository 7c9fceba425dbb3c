"""Grow memory 16 MB at a time, touching every page, until stopped."""


def main():
    hoard = []
    while True:
        hoard.append(b"\x01" * (16 << 20))
    return len(hoard)
