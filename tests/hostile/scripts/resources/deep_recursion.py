"""Unbounded recursion with the recursion limit lifted: the C stack
overflows (SIGSEGV) or Python raises; the service must classify it."""
import sys


def main():
    sys.setrecursionlimit(10 ** 8)

    def f(n):
        return f(n + 1) + 1
    return f(0)
