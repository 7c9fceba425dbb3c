# A pure-Python CPU-bound loop.  bench/run rewrites ITERATIONS after timing
# this loop on the host's python3, so that main() takes about 50 ms.
ITERATIONS = 1000000


def main():
    total = 0
    for i in range(ITERATIONS):
        total += i * i % 7
    return {"iterations": ITERATIONS, "total": total}
