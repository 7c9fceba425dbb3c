import pandas as pd


def main():
    df = pd.DataFrame({
        "group": [i % 7 for i in range(300)],
        "x": [float(i) for i in range(300)],
        "y": [float(i * i % 101) for i in range(300)],
    })
    g = df.groupby("group").agg(x_sum=("x", "sum"), y_mean=("y", "mean"), n=("x", "size"))
    return {
        "groups": int(len(g)),
        "x_sum": [float(v) for v in g["x_sum"]],
        "y_mean": [round(float(v), 6) for v in g["y_mean"]],
        "n": int(g["n"].sum()),
    }
