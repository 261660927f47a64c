#!/usr/bin/python3
"""Writes the numpy-made files the npz tests read. Run from this folder with a
python that has numpy (Debian: /usr/bin/python3):
    /usr/bin/python3 gen_testdata.py

kinds.npz / kinds_compressed.npz: arrays whose element k (in C order) is
k/7, in several dtypes, byte orders, memory orders and ranks.
unsupported.npz: arrays of dtypes the reader must refuse.
v2.npz: an array with a version 2.0 npy header.
headers.json: npy version 1.0 headers numpy writes for '<f8' C-order arrays.
"""
import io
import json
import zipfile

import numpy as np


def seq(shape, dtype="<f8"):
    n = int(np.prod(shape))
    return (np.arange(n) / 7).reshape(shape).astype(dtype)


kinds = {
    "f8": seq((3, 4)),
    "f4": seq((3, 4), "<f4"),
    "be8": seq((2, 5), ">f8"),
    "be4": seq((2, 5), ">f4"),
    "fortran": np.asfortranarray(seq((3, 4))),
    "fortran3": np.asfortranarray(seq((2, 3, 4))),
    "vec": seq((5,)),
    "scalar": np.float64(3.5),
    "empty": seq((0, 3)),
    "cube": seq((2, 3, 4)),
}
assert kinds["fortran"].flags.f_contiguous and not kinds["fortran"].flags.c_contiguous
np.savez("kinds.npz", **kinds)
np.savez_compressed("kinds_compressed.npz", **kinds)

np.savez(
    "unsupported.npz",
    i8=np.arange(6, dtype="<i8"),
    u1=np.zeros(3, dtype="u1"),
    c16=np.zeros(2, dtype="<c16"),
    f2=np.zeros(2, dtype="<f2"),
    rec=np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]),
    ok=seq((2, 2)),
)

buf = io.BytesIO()
np.lib.format.write_array(buf, seq((2, 3)), version=(2, 0))
with zipfile.ZipFile("v2.npz", "w") as z:
    z.writestr("a.npy", buf.getvalue())

headers = []
for shape in [(4, 2), (3,), (), (0, 5), (1, 1), (123456789, 3), (2, 3, 4)]:
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        b, {"descr": "<f8", "fortran_order": False, "shape": shape})
    headers.append({"shape": list(shape), "header": b.getvalue().decode("latin1")})
with open("headers.json", "w") as f:
    json.dump(headers, f, indent=1)
    f.write("\n")
