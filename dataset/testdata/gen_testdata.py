#!/usr/bin/python3
"""Writes the numpy-made files the dataset tests read. Run from this folder
with a python that has numpy (Debian: /usr/bin/python3):
    /usr/bin/python3 gen_testdata.py

flower_golden.json: the planar flower data set exactly as the course's
    planar_utils.load_planar_dataset builds it, for seeds 1 and 7.
small_f64.npz, small_f32.npz, small_compressed.npz: X (2, 5) and Y (1, 5)
    written by np.savez / np.savez_compressed.
labels_uint8.npz: the same with Y as uint8, as numpy code often stores labels.
fuzz/FuzzLoadCSV, fuzz/FuzzLoadNPZ: seed corpora, valid and broken inputs.
"""
import io
import json
import os

import numpy as np


def load_planar_dataset(seed):
    # The course's code, verbatim apart from the seed argument.
    np.random.seed(seed)
    m = 400  # number of examples
    N = int(m / 2)  # number of points per class
    D = 2  # dimensionality
    X = np.zeros((m, D))  # data matrix where each row is a single example
    Y = np.zeros((m, 1), dtype='uint8')  # labels vector (0 for red, 1 for blue)
    a = 4  # maximum ray of the flower

    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2  # theta
        r = a * np.sin(4 * t) + np.random.randn(N) * 0.2  # radius
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j

    X = X.T
    Y = Y.T
    return X, Y


def main():
    golden = {"numpy": np.__version__, "sets": []}
    for seed in (1, 7):
        X, Y = load_planar_dataset(seed)
        golden["sets"].append({"seed": seed, "X": X.tolist(), "Y": Y.astype(float).tolist()})
    with open("flower_golden.json", "w") as f:
        json.dump(golden, f)
        f.write("\n")

    X = np.array([[0.5, -1.25, 3.0, 1e-3, 2.5e10], [1.0, 2.0, -3.5, 0.1, -7.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    np.savez("small_f64.npz", X=X, Y=Y)
    np.savez("small_f32.npz", X=X.astype(np.float32), Y=Y.astype(np.float32))
    np.savez_compressed("small_compressed.npz", X=X, Y=Y)
    np.savez("labels_uint8.npz", X=X, Y=Y.astype(np.uint8))
    write_corpora(X, Y)


def go_bytes(b):
    """Returns b as a Go []byte literal for a fuzz corpus file."""
    out = []
    for c in b:
        if 32 <= c < 127 and c not in (ord('"'), ord('\\')):
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return '[]byte("' + "".join(out) + '")'


def write_corpus(target, name, data):
    os.makedirs(os.path.join("fuzz", target), exist_ok=True)
    with open(os.path.join("fuzz", target, name), "w") as f:
        f.write("go test fuzz v1\n" + go_bytes(data) + "\n")


def savez_bytes(compressed=False, **arrays):
    b = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(b, **arrays)
    return b.getvalue()


def write_corpora(X, Y):
    csvs = {
        "plain": b"1,2,0\n3,4,1\n",
        "header_crlf_bom": b"\xef\xbb\xbfx1,x2,label\r\n0.5,-1,1\r\n2e3,7,0\r\n\r\n",
        "quoted": b'"1.5", 2 ,1\n',
        "ragged": b"1,2,0\n3,1\n",
        "not_a_number": b"1,2,0\n3,x,1\n",
        "nan_feature": b"nan,2,0\n",
        "bad_label": b"1,2,2\n",
        "one_column": b"1\n0\n",
        "header_only": b"a,b,y\n",
        "bare_quote": b'1,2"x,0\n',
        "empty": b"",
    }
    for name, data in csvs.items():
        write_corpus("FuzzLoadCSV", name, data)

    good = savez_bytes(X=X, Y=Y)
    npzs = {
        "f64": good,
        "f32": savez_bytes(X=X.astype(np.float32), Y=Y.astype(np.float32)),
        "compressed": savez_bytes(True, X=X, Y=Y),
        "fortran": savez_bytes(X=np.asfortranarray(X), Y=Y),
        "truncated": good[: len(good) // 2],
        "corrupt_byte": good[:200] + bytes([good[200] ^ 0xFF]) + good[201:],
        "missing_y": savez_bytes(X=X),
        "int_labels": savez_bytes(X=X, Y=Y.astype(np.int64)),
        "nan": savez_bytes(X=np.where(X > 2, np.nan, X), Y=Y),
        "bad_label": savez_bytes(X=X, Y=Y * 2),
        "m_mismatch": savez_bytes(X=X, Y=Y[:, :4]),
        "empty_m": savez_bytes(X=np.zeros((2, 0)), Y=np.zeros((1, 0))),
        "not_zip": b"PK\x03\x04 not really",
    }
    for name, data in npzs.items():
        write_corpus("FuzzLoadNPZ", name, data)


if __name__ == "__main__":
    main()
