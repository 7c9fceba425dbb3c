"""A huge numpy array: 40000 x 40000 float64 (12.8 GB), then filled."""
import numpy as np


def main():
    a = np.ones((40000, 40000))
    return float(a.sum())
