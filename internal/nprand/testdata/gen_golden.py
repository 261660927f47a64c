#!/usr/bin/python3
"""Writes golden.json: outputs of numpy's legacy RandomState for nprand's tests.

Run with a python that has numpy (Debian: /usr/bin/python3), from this folder:
    /usr/bin/python3 gen_golden.py
Floats are written with repr, which round-trips float64 exactly.
"""
import json
import math
import platform

import numpy as np


def case(seed):
    out = {"seed": seed}
    rs = np.random.RandomState(seed)
    out["state"] = [int(v) for v in rs.get_state()[1]]
    out["uint32"] = [int(v) for v in rs.randint(0, 2**32, size=10, dtype=np.uint32)]

    rs = np.random.RandomState(seed)
    out["random_sample"] = rs.random_sample(1000).tolist()

    # Odd counts leave a cached value for the next call; a random_sample in
    # between must not disturb the cache.
    rs = np.random.RandomState(seed)
    out["randn_5"] = rs.randn(5).tolist()
    out["randn_4"] = rs.randn(4).tolist()
    out["between"] = rs.random_sample()
    out["randn_1001"] = rs.randn(1001).tolist()

    rs = np.random.RandomState(seed)
    out["permutation_10"] = rs.permutation(10).tolist()
    out["permutation_1000"] = rs.permutation(1000).tolist()
    out["permutation_1"] = rs.permutation(1).tolist()
    out["after_permutations"] = rs.random_sample()

    # A long stream crosses hundreds of regenerations of the 624-word state;
    # every 1000th value is kept.
    rs = np.random.RandomState(seed)
    out["randn_100000_every_1000th"] = rs.randn(100000)[::1000].tolist()
    return out


def main():
    golden = {
        "numpy": np.__version__,
        "machine": platform.machine(),
        "libc": " ".join(platform.libc_ver()),
        "cases": [case(1), case(2), case(0), case(4294967295)],
    }
    with open("golden.json", "w") as f:
        json.dump(golden, f)
        f.write("\n")


if __name__ == "__main__":
    main()
