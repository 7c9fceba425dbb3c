"""Burn CPU forever in native code on several threads at once (numpy
releases the GIL), so CPU time grows faster than wall time."""
import threading
import numpy as np


def burn():
    a = np.random.rand(400, 400)
    while True:
        a = np.tanh(a @ a)


def main():
    for _ in range(4):
        threading.Thread(target=burn, daemon=True).start()
    burn()
