#!/usr/bin/env bash
# Installs what cltrain needs on Debian or Ubuntu: an OpenCL ICD loader and
# PoCL (skipped when an OpenCL ICD is already registered), clinfo, the
# benchmark yardsticks OpenBLAS and CLBlast, and Oclgrind, the OpenCL device
# simulator the tests use as a GPU that checks every memory access (it
# registers no ICD of its own: the tests select it through a private
# OCL_ICD_VENDORS folder). Uses sudo when not root.
set -euo pipefail

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

want=()
icds=$(ls /etc/OpenCL/vendors/*.icd 2>/dev/null || true)
if [ -n "$icds" ] && ldconfig -p 2>/dev/null | grep -q 'libOpenCL\.so\.1'; then
	echo "deps: OpenCL ICD already registered: $(echo $icds | tr '\n' ' ')"
else
	want+=(ocl-icd-libopencl1 pocl-opencl-icd)
fi
for p in clinfo libopenblas0 libclblast1 oclgrind; do
	have_pkg "$p" || want+=("$p")
done

if [ ${#want[@]} -eq 0 ]; then
	echo "deps: nothing to install"
	exit 0
fi
if ! command -v apt-get >/dev/null; then
	echo "deps: missing ${want[*]}: install an OpenCL ICD loader and driver (e.g. PoCL), OpenBLAS, CLBlast and Oclgrind with your package manager" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
fi
echo "deps: installing ${want[*]}"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
