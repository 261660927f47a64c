"""Writes flower_course.json: the course's numpy training run of the planar
flower data set (n_h = 4, lr = 1.2, 10 000 iterations), the golden
trajectory engine's tests compare against. Run with Debian's python3-numpy:
/usr/bin/python3 gen_flower_course.py
"""
import json

import numpy as np


def load_planar_dataset():
    np.random.seed(1)
    m = 400
    N = int(m / 2)
    D = 2
    X = np.zeros((m, D))
    Y = np.zeros((m, 1), dtype="uint8")
    a = 4
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
        r = a * np.sin(4 * t) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def main():
    X, Y = load_planar_dataset()
    n_x, n_h, n_y = X.shape[0], 4, 1
    m = X.shape[1]
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    init = {"W1": W1.tolist(), "b1": b1.tolist(), "W2": W2.tolist(), "b2": b2.tolist()}
    costs = []
    for i in range(10000):
        A1 = np.tanh(W1 @ X + b1)
        A2 = sigmoid(W2 @ A1 + b2)
        if i % 1000 == 0:
            logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
            costs.append({"step": i, "cost": float(-np.sum(logprobs) / m)})
        dZ2 = A2 - Y
        dW2 = dZ2 @ A1.T / m
        db2 = np.sum(dZ2, axis=1, keepdims=True) / m
        dZ1 = (W2.T @ dZ2) * (1 - A1 ** 2)
        dW1 = dZ1 @ X.T / m
        db1 = np.sum(dZ1, axis=1, keepdims=True) / m
        W1, b1, W2, b2 = W1 - 1.2 * dW1, b1 - 1.2 * db1, W2 - 1.2 * dW2, b2 - 1.2 * db2
    A2 = sigmoid(W2 @ np.tanh(W1 @ X + b1) + b2)
    accuracy = float(np.mean((A2 > 0.5) == Y))
    with open("flower_course.json", "w") as f:
        json.dump({"numpy": np.__version__, "X": X.tolist(), "Y": Y.astype(float).tolist(),
                   "init": init, "costs": costs, "accuracy": accuracy}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
