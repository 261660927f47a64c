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
numpy_softmax.npz:    np.savez of W1 (4, 2), b1 (4, 1), W2 (3, 4), b2 (3, 1), no "model":
                      Load infers a softmax output of 3 classes.
numpy_adam.npz:       the arrays of numpy_softmax.npz, "model" as np.frombuffer of the
                      JSON below, and Adam's state: adam_m_<name> = <name> / 10,
                      adam_v_<name> = <name> ** 2.
"""
import json

import numpy as np

ADAM_MODEL = {"hidden": "relu", "output": "softmax", "optimizer": "adam",
              "beta1": 0.8, "beta2": 0.99, "eps": 1e-07, "l2": 0.01, "steps": 3}


def arrays(dtype="<f8", classes=1):
    shapes = {"W1": (4, 2), "b1": (4, 1), "W2": (classes, 4), "b2": (classes, 1)}
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
    s = arrays(classes=3)
    np.savez("numpy_softmax.npz", **s)
    adam = dict(s)
    adam["model"] = np.frombuffer(json.dumps(ADAM_MODEL).encode(), dtype=np.uint8)
    for name, v in s.items():
        adam["adam_m_" + name] = v / 10
        adam["adam_v_" + name] = v ** 2
    np.savez("numpy_adam.npz", **adam)


if __name__ == "__main__":
    main()
