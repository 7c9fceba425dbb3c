"""User code that runs after main() has returned, inside the runner: a dict
subclass whose items() the JSON encoder calls while encoding the result, and
an exception whose __str__ the runner calls while reporting it.  Each raises
something the runner does not expect there (the case on stdin).  The answer
must still be clear: the script's fault, named, with the script's own
traceback -- not "Script ended before main() returned" with the runner's."""
import sys


class ItemsExit(dict):
    def items(self):
        raise SystemExit(0)


class ItemsZero(dict):
    def items(self):
        return 1 / 0


class StrExit(Exception):
    def __str__(self):
        raise SystemExit(7)


class StrZero(Exception):
    def __str__(self):
        return str(1 / 0)


def main():
    case = sys.stdin.read().strip()
    if case == "items_exit":
        return ItemsExit(a=1)
    if case == "items_zero":
        return ItemsZero(a=1)
    if case == "str_exit":
        raise StrExit()
    if case == "str_zero":
        raise StrZero()
    raise ValueError(case)
