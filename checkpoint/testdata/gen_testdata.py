#!/usr/bin/python3
"""Writes the numpy-made checkpoints the checkpoint tests read. Run from this
folder with a python that has numpy (Debian: /usr/bin/python3):
    /usr/bin/python3 gen_testdata.py

Element k (in C order) of every array is (k + 1) / 3 for W and -(k + 1) / 5
for b, layer l adding l - 1.
numpy_f64.npz:        np.savez, W1 (4, 2), b1 (4, 1), W2 (1, 4), b2 (1, 1), float64.
numpy_f32.npz:        the same arrays as float32.
numpy_compressed.npz: np.savez_compressed of the float64 arrays.
numpy_b_vector.npz:   b1, b2 saved with shape (n,), which Load refuses.
numpy_int.npz:        W1 as int64, which Load refuses.
"""
import numpy as np


def arrays(dtype="<f8"):
    shapes = {"W1": (4, 2), "b1": (4, 1), "W2": (1, 4), "b2": (1, 1)}
    out = {}
    for name, shape in shapes.items():
        layer = int(name[1:])
        k = np.arange(int(np.prod(shape))).reshape(shape)
        if name[0] == "W":
            v = (k + 1) / 3 + (layer - 1)
        else:
            v = -(k + 1) / 5 + (layer - 1)
        out[name] = v.astype(dtype)
    return out


def main():
    a = arrays()
    np.savez("numpy_f64.npz", **a)
    np.savez("numpy_f32.npz", **arrays("<f4"))
    np.savez_compressed("numpy_compressed.npz", **a)
    np.savez("numpy_b_vector.npz", W1=a["W1"], b1=a["b1"].ravel(), W2=a["W2"], b2=a["b2"].ravel())
    np.savez("numpy_int.npz", W1=np.arange(8).reshape(4, 2), b1=a["b1"], W2=a["W2"], b2=a["b2"])


if __name__ == "__main__":
    main()
