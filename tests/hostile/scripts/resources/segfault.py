"""Dereference a near-NULL pointer through ctypes (string_at(0) would not:
it only copies from a NULL *source* into a fresh buffer): the interpreter
dies with SIGSEGV."""
import ctypes


def main():
    return ctypes.c_long.from_address(8).value
