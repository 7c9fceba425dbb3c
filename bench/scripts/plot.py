import matplotlib.pyplot as plt
import numpy as np


def main():
    x = np.linspace(0, 10, 200)
    fig, ax = plt.subplots()
    ax.plot(x, np.sin(x), label="sin")
    ax.plot(x, np.cos(x), label="cos")
    ax.set_title("waves")
    ax.legend()
    plt.show()
    return "drawn"
