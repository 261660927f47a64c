#!/usr/bin/env python3
"""Write scikit-learn's bundled classification data sets as .npz files.

Run from the repository root:

    python3 scripts/datasets/make_datasets.py

It writes

    testdata/sklearn/digits.npz   1797 examples, 64 features, 10 classes
    testdata/sklearn/iris.npz      150 examples,  4 features,  3 classes
    testdata/sklearn/wine.npz      178 examples, 13 features,  3 classes

Each file is an uncompressed numpy.savez archive holding

    X  float64, shape (n_x, m): one example per COLUMN
    Y  int64,   shape (1, m):   class labels 0..K-1

The examples keep scikit-learn's order. Feature scaling:

    digits  pixel values 0..16 divided by 16, so they lie in 0..1
    iris    standardised per feature over the whole set: (x - mean) / std,
    wine    with numpy's population std (ddof = 0)

The zip entries carry a fixed timestamp, so two runs give identical bytes.
"""

import io
import os
import sys
import zipfile

import numpy as np
from sklearn import datasets

OUT_DIR = os.path.join("testdata", "sklearn")

# Timestamp of every zip entry (the earliest a zip file can hold), so that the
# output depends only on the arrays.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def save_npz(path, **arrays):
    """numpy.savez(path, **arrays), uncompressed, with fixed entry timestamps.

    The .npy members are numpy.savez's own bytes; only the zip entries'
    timestamps and permissions are fixed.
    """
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    tmp = path + ".tmp"
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_STORED
            zi.external_attr = 0o644 << 16
            zi.create_system = 3  # Unix, so external_attr is read as mode bits
            zout.writestr(zi, zin.read(info.filename))
    os.replace(tmp, path)


def standardise(x):
    """Per-feature (column) standardisation of x, shape (m, n_x)."""
    return (x - x.mean(axis=0)) / x.std(axis=0)


def columns(x, y):
    """Arrays in the examples-as-columns layout: X (n_x, m), Y (1, m)."""
    X = np.ascontiguousarray(np.asarray(x, dtype=np.float64).T)
    Y = np.asarray(y, dtype=np.int64).reshape(1, -1)
    return X, Y


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    sets = {}

    d = datasets.load_digits()
    sets["digits"] = columns(d.data / 16.0, d.target)

    d = datasets.load_iris()
    sets["iris"] = columns(standardise(d.data.astype(np.float64)), d.target)

    d = datasets.load_wine()
    sets["wine"] = columns(standardise(d.data.astype(np.float64)), d.target)

    for name, (X, Y) in sets.items():
        assert X.ndim == 2 and Y.shape == (1, X.shape[1])
        assert np.all(np.isfinite(X))
        k = int(Y.max()) + 1
        assert Y.min() == 0 and set(np.unique(Y)) == set(range(k))
        path = os.path.join(OUT_DIR, name + ".npz")
        save_npz(path, X=X, Y=Y)
        print(f"{path}: X {X.shape}, Y {Y.shape}, {k} classes, "
              f"X range [{X.min():.4g}, {X.max():.4g}]")


if __name__ == "__main__":
    sys.exit(main())
