"""Source that breaks the compiler rather than the program: the test
replaces the BOMB line with an expression nested past what CPython's parser
and compiler take (200000 unary minus signs, a chain of 100000 additions,
20000 nested lambdas), which raises MemoryError or RecursionError inside
compile(), in the runner, before main() exists.  The answer must name the
script's problem, as for a syntax error, and show no runner internals."""
BOMB = 0  # replaced by the test


def main():
    return "compiled"
