"""Burn CPU forever in pure Python."""


def main():
    n = 0
    while True:
        n += 1
