#!/usr/bin/env bash
# gpu-check.sh: the one prepared OpenCL check of cltrain on a GPU machine.
#
# Usage:
#   scripts/gpu-check.sh [--quick] [--only STEP,...] [RESULTS_DIR]
#   scripts/gpu-check.sh --bundle
#
# It finds NVIDIA's OpenCL driver (libnvidia-opencl.so.1) and registers it in a
# private ICD folder (OCL_ICD_VENDORS) beside the system's other ICDs, uses the
# ICD loader from .gpu/lib when the system has no libOpenCL.so.1, then runs,
# each under a timeout and timed:
#   devices   cltrain devices --json
#   validate  cltrain validate --json            (--quick: validate --quick)
#   bench     cltrain bench --quick --json       (--quick: skipped)
#   flower    cltrain train --backend opencl --plot flower.png (--quick: 500 iterations)
#   large     cltrain train on 8192 generated examples of 64 features with a
#             hidden layer of 4096, 200 iterations (--quick: 512 x 16, 64, 50)
#   multi     the large run again on every device at once (train --device
#             all, data-parallel), beside the one-device time; skipped with
#             fewer than two devices
# A failing step is recorded and the rest still run. RESULTS_DIR (default
# out/gpu-check) stays flat and gets at most 8 files: summary.txt (the table),
# log.txt (environment, setup, every command's stderr), results.json, the JSON
# outputs devices.json, validate.json, bench.json, and the flower plots
# flower.png and flower-boundary.png.
#
# --bundle prepares what a bare GPU machine lacks, into .gpu/ (git-ignored):
# the ICD loader libOpenCL.so.1 from Debian's ocl-icd-libopencl1 package
# (apt-get download, needs glibc >= 2.34 where it runs) and cltrain built
# with CGO_ENABLED=0 (it needs only glibc where it runs).
#
# The binary is $CLTRAIN_BIN, else .gpu/cltrain, else ./cltrain, else built
# with go. $GPU_CHECK_LIB_DIRS (folders separated by spaces) replaces the
# places searched for libnvidia-opencl.so.1 (the ld.so cache and the usual
# library folders). $GPU_CHECK_BUDGET caps the whole run in seconds (default
# 540, --quick 240); each step's timeout is cut to what is left.
#
# Exit status: 0 when every step that ran passed, 1 when devices or validate
# failed (no usable device or wrong kernels), 2 when another step failed,
# 3 when the script itself could not run (or --bundle failed), 64 on a usage
# error.
set -uo pipefail

# The whole script is one brace group, read in full before it runs, so that
# editing the file during a run cannot change the run.
{

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gpu_dir=$root/.gpu
max_files=8

die() {
	echo "gpu-check: $*" >&2
	exit 3
}

# usage prints the usage lines of the header (all of it with --help).
usage() {
	if [ "${1:-}" = full ]; then
		sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
		exit 0
	fi
	sed -n '4,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 64
}

# bundle fills .gpu/ with the ICD loader and a cgo-free cltrain binary.
bundle() {
	command -v apt-get >/dev/null || die "--bundle: apt-get is needed to fetch ocl-icd-libopencl1"
	command -v dpkg >/dev/null || die "--bundle: dpkg is needed to unpack ocl-icd-libopencl1"
	command -v go >/dev/null || die "--bundle: go is needed to build cltrain"
	local lib
	tmp=$(mktemp -d) || die "--bundle: mktemp failed"
	trap 'rm -rf "$tmp"' EXIT
	# apt-get download runs as the _apt user where it can; let it write here.
	chmod 755 "$tmp"
	(cd "$tmp" && apt-get download ocl-icd-libopencl1) || die "--bundle: apt-get download ocl-icd-libopencl1 failed"
	dpkg -x "$tmp"/ocl-icd-libopencl1_*.deb "$tmp/x" || die "--bundle: dpkg -x failed"
	lib=$(find "$tmp/x" -name 'libOpenCL.so.1' | head -n 1)
	[ -n "$lib" ] || die "--bundle: no libOpenCL.so.1 in ocl-icd-libopencl1"
	mkdir -p "$gpu_dir/lib" || die "--bundle: cannot create $gpu_dir/lib"
	# A plain file, not a link: it travels to the GPU machine as it is.
	cp -L "$lib" "$gpu_dir/lib/libOpenCL.so.1" || die "--bundle: copying libOpenCL.so.1 failed"
	cp "$tmp/x/usr/share/doc/ocl-icd-libopencl1/copyright" "$gpu_dir/lib/ocl-icd.copyright" 2>/dev/null || true
	(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$gpu_dir/cltrain" ./cmd/cltrain) ||
		die "--bundle: go build failed"
	echo "gpu-check: bundled into $gpu_dir:"
	ls -l "$gpu_dir" "$gpu_dir/lib"
	echo "gpu-check: libOpenCL.so.1 from $(basename "$tmp"/ocl-icd-libopencl1_*.deb)"
}

quick=0
only=""
results=""
while [ $# -gt 0 ]; do
	case $1 in
	--bundle)
		[ $# -eq 1 ] || usage
		bundle
		exit 0
		;;
	--quick) quick=1 ;;
	--only)
		[ $# -ge 2 ] || usage
		only=$2
		shift
		;;
	--only=*) only=${1#--only=} ;;
	-h | --help) usage full ;;
	-*) echo "gpu-check: unknown flag $1" >&2 && usage ;;
	*)
		[ -z "$results" ] || usage
		results=$1
		;;
	esac
	shift
done
for s in ${only//,/ }; do
	case $s in
	devices | validate | bench | flower | large | multi) ;;
	*) echo "gpu-check: --only: unknown step $s (want devices, validate, bench, flower, large, multi)" >&2 && usage ;;
	esac
done

results=${results:-$root/out/gpu-check}
mkdir -p "$results" || die "cannot create $results"
results=$(cd "$results" && pwd)
summary=$results/summary.txt
log=$results/log.txt
rm -f "$summary" "$log" "$results"/results.json "$results"/devices.json "$results"/validate.json \
	"$results"/bench.json "$results"/flower.png "$results"/flower-boundary.png
work=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$work"' EXIT

if [ "$quick" = 1 ]; then
	budget=${GPU_CHECK_BUDGET:-240}
else
	budget=${GPU_CHECK_BUDGET:-540}
fi
case $budget in
'' | *[!0-9]*) die "GPU_CHECK_BUDGET=$budget: want whole seconds" ;;
esac

now() { date +%s.%N; }
t_start=$(now)
elapsed() { awk -v a="$t_start" -v b="$(now)" 'BEGIN { printf "%d", b - a }'; }

# run_for SECONDS CMD... runs CMD, killed after SECONDS (and KILLed 10 s later)
# where coreutils' timeout is there; 124 or 137 means it ran out of time.
run_for() {
	local secs=$1
	shift
	if command -v timeout >/dev/null; then
		timeout -k 10 "$secs" "$@"
	else
		"$@"
	fi
}

# say appends its arguments, one line, to the log.
say() { printf '%s\n' "$*" >>"$log"; }

# section runs a probe command into the log under a heading, never failing.
section() {
	local title=$1
	shift
	say ""
	say "## $title"
	if command -v "$1" >/dev/null 2>&1; then
		run_for 30 "$@" >>"$log" 2>&1 || say "(exit status $?)"
	else
		say "($1 not found)"
	fi
}

# json_str prints its argument as a JSON string.
json_str() {
	local s
	s=$(printf '%s' "$1" | tr -d '\000-\010\013-\037' | tr '\t\n' '  ')
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# ---------------------------------------------------------------- environment
{
	echo "# cltrain gpu-check log"
	echo "started $(date -u +%Y-%m-%dT%H:%M:%SZ), mode $([ "$quick" = 1 ] && echo quick || echo full), budget ${budget} s"
	echo "results in $results"
} >"$log"
section "uname -a" uname -a
section "glibc" getconf GNU_LIBC_VERSION
section "CPUs" nproc
say ""
say "## NVIDIA environment"
say "NVIDIA_VISIBLE_DEVICES=${NVIDIA_VISIBLE_DEVICES-(unset)}"
say "NVIDIA_DRIVER_CAPABILITIES=${NVIDIA_DRIVER_CAPABILITIES-(unset)}"
say "LD_LIBRARY_PATH=${LD_LIBRARY_PATH-(unset)}"
say "OCL_ICD_VENDORS=${OCL_ICD_VENDORS-(unset)}"
if [ -r /proc/driver/nvidia/version ]; then
	cat /proc/driver/nvidia/version >>"$log"
else
	say "(no /proc/driver/nvidia/version: no NVIDIA kernel driver visible)"
fi
section "nvidia-smi -L" nvidia-smi -L
section "nvidia-smi --query-gpu" nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv

# ---------------------------------------------------------------- OpenCL setup
ldconfig_bin=$(command -v ldconfig || echo /sbin/ldconfig)
ldcache() { "$ldconfig_bin" -p 2>/dev/null; }
arch=$(uname -m)
case $arch in
x86_64) ld_arch=x86-64 ;;
aarch64) ld_arch=AArch64 ;;
*) ld_arch=$arch ;;
esac

# elf64 tells whether $1 is a 64-bit ELF file (so not a 32-bit library).
elf64() { [ "$(od -An -tu1 -j4 -N1 "$1" 2>/dev/null | tr -d ' ')" = 2 ]; }

# find_nvidia prints the path of libnvidia-opencl.so.1 and whether it came
# from the ld.so cache ("cache") or a folder ("dir").
find_nvidia() {
	local d p
	if [ -n "${GPU_CHECK_LIB_DIRS+x}" ]; then
		for d in $GPU_CHECK_LIB_DIRS; do
			p=$d/libnvidia-opencl.so.1
			[ -e "$p" ] && elf64 "$p" && echo "$p dir" && return 0
		done
		return 1
	fi
	p=$(ldcache | awk -v a="$ld_arch" '$1 == "libnvidia-opencl.so.1" && index($0, a) { print $NF; exit }')
	[ -n "$p" ] && [ -e "$p" ] && echo "$p cache" && return 0
	for d in "/usr/lib/$arch-linux-gnu" "/usr/lib/$arch-linux-gnu/nvidia/current" /usr/lib64 /usr/lib \
		/usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
		p=$d/libnvidia-opencl.so.1
		[ -e "$p" ] && elf64 "$p" && echo "$p dir" && return 0
	done
	return 1
}

# has_loader tells whether the dynamic linker can find libOpenCL.so.1: in
# its cache, in its default folders or on LD_LIBRARY_PATH.
has_loader() {
	local d
	ldcache | awk '$1 == "libOpenCL.so.1"' | grep -q "$ld_arch" && return 0
	for d in "/usr/lib/$arch-linux-gnu" "/lib/$arch-linux-gnu" /usr/lib64 /lib64; do
		[ -e "$d/libOpenCL.so.1" ] && elf64 "$d/libOpenCL.so.1" && return 0
	done
	local IFS=:
	for d in ${LD_LIBRARY_PATH:-}; do
		[ -n "$d" ] && [ -e "$d/libOpenCL.so.1" ] && return 0
	done
	return 1
}

say ""
say "## OpenCL setup"
system_vendors=${OCL_ICD_VENDORS:-/etc/OpenCL/vendors}
if [ -d "$system_vendors" ]; then
	for f in "$system_vendors"/*.icd; do
		[ -e "$f" ] && say "system ICD $f: $(head -n 1 "$f")"
	done
else
	say "no ICD folder $system_vendors"
fi
other_icds=""
nvidia_lib=""
if found=$(find_nvidia); then
	nvidia_lib=${found% *}
	icd_dir=$work/vendors
	mkdir -p "$icd_dir"
	# The system's other ICDs stay visible; NVIDIA's is written with its full path.
	if [ -d "$system_vendors" ]; then
		for f in "$system_vendors"/*.icd; do
			[ -e "$f" ] || continue
			case $(head -n 1 "$f") in
			*libnvidia-opencl*) say "left out $f (replaced by the private nvidia.icd)" ;;
			*)
				cp "$f" "$icd_dir/" && other_icds="$other_icds $(basename "$f")"
				;;
			esac
		done
	fi
	echo "$nvidia_lib" >"$icd_dir/nvidia.icd"
	export OCL_ICD_VENDORS=$icd_dir
	if [ "${found##* }" = cache ]; then
		say "NVIDIA OpenCL library: $nvidia_lib (from the ld.so cache)"
	else
		say "NVIDIA OpenCL library: $nvidia_lib (from a folder search)"
	fi
	say "private ICD folder OCL_ICD_VENDORS=$icd_dir: nvidia.icd -> $(cat "$icd_dir/nvidia.icd")${other_icds:+, also$other_icds}"
	if [ "${found##* }" = dir ]; then
		# Its own dependencies (libcuda.so.1, libnvidia-ptxjitcompiler.so.1, …) sit beside it.
		LD_LIBRARY_PATH=$(dirname "$nvidia_lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
		export LD_LIBRARY_PATH
		say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
	fi
	missing=$(ldd "$nvidia_lib" 2>/dev/null | grep 'not found')
	[ -z "$missing" ] || say "WARNING: libraries $nvidia_lib needs are missing: $missing"
	setup_key="libnvidia-opencl.so.1: $nvidia_lib"
else
	say "no NVIDIA OpenCL library (libnvidia-opencl.so.1) found; using the system's OpenCL ICDs"
	if [ -n "${NVIDIA_VISIBLE_DEVICES:-}" ] || [ -r /proc/driver/nvidia/version ]; then
		say "hint: an NVIDIA driver is visible: in a container the driver's OpenCL library is mounted only when NVIDIA_DRIVER_CAPABILITIES includes compute"
	fi
	icds=""
	if [ -d "$system_vendors" ]; then
		for f in "$system_vendors"/*.icd; do
			[ -e "$f" ] && icds="$icds $(basename "$f")"
		done
	fi
	setup_key="no NVIDIA OpenCL library found; system ICDs:${icds:- none}"
fi
if has_loader; then
	loader="system libOpenCL.so.1"
elif [ -e "$gpu_dir/lib/libOpenCL.so.1" ]; then
	export LD_LIBRARY_PATH=$gpu_dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	loader="bundled $gpu_dir/lib/libOpenCL.so.1"
	say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
else
	loader="none (no libOpenCL.so.1 on the system or in .gpu/lib: run scripts/gpu-check.sh --bundle where apt-get works)"
fi
say "ICD loader: $loader"
setup_key="$setup_key; loader: ${loader%% (*}"
section "clinfo -l (the ICDs as the loader now sees them)" clinfo -l

# ---------------------------------------------------------------- binary
bin_note=""
if [ -n "${CLTRAIN_BIN:-}" ]; then
	bin=$CLTRAIN_BIN
	bin_note="\$CLTRAIN_BIN"
elif [ -x "$gpu_dir/cltrain" ]; then
	bin=$gpu_dir/cltrain
	bin_note=".gpu/cltrain"
elif [ -x "$root/cltrain" ]; then
	bin=$root/cltrain
	bin_note="./cltrain"
elif command -v go >/dev/null; then
	bin=$work/cltrain
	bin_note="built now"
	(cd "$root" && CGO_ENABLED=0 go build -o "$bin" ./cmd/cltrain) >>"$log" 2>&1 || bin=""
else
	bin=""
fi
say ""
say "## cltrain binary"
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	say "no cltrain binary (set CLTRAIN_BIN, run scripts/gpu-check.sh --bundle, or make build)"
	bin=""
else
	say "$bin ($bin_note), $(wc -c <"$bin") bytes, modified $(date -u -r "$bin" +%Y-%m-%dT%H:%M:%SZ)"
	if [ "$bin_note" != "built now" ] && [ -d "$root/cmd" ] &&
		[ -n "$(find "$root" -name '*.go' -newer "$bin" -not -path '*/.git/*' 2>/dev/null | head -n 1)" ]; then
		say "WARNING: Go sources are newer than $bin: rebuild it (make build, or scripts/gpu-check.sh --bundle)"
	fi
fi

# ---------------------------------------------------------------- steps
names=()
statuses=()
seconds=()
keys=()
outputs=()

record() { # name status seconds key output-json
	names+=("$1")
	statuses+=("$2")
	seconds+=("$3")
	keys+=("$4")
	outputs+=("$5")
}
record opencl-setup ok 0.00 "$setup_key" null

wanted() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

# step NAME LIMIT JSONFILE ARGS... runs cltrain ARGS under a timeout of at most
# LIMIT seconds, stdout into JSONFILE (under the results folder) or, when that
# is "-", into the log, stderr into the log. It sets step_status and step_secs.
step() {
	local name=$1 limit=$2 jsonfile=$3
	shift 3
	local left=$((budget - $(elapsed)))
	[ "$limit" -le "$left" ] || limit=$left
	local out=$work/$name.out err=$work/$name.err t0 rc
	say ""
	say "## step $name: cltrain $* (timeout ${limit} s)"
	step_secs=0.00
	if [ -z "$bin" ]; then
		step_status="FAIL (no binary)"
		return
	fi
	if [ "$limit" -lt 10 ]; then
		step_status="skipped (time budget spent)"
		say "skipped: ${left} s of the ${budget} s budget left"
		return
	fi
	t0=$(now)
	run_for "$limit" "$bin" "$@" >"$out" 2>"$err"
	rc=$?
	step_secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
	case $rc in
	0) step_status=ok ;;
	124 | 137) step_status="TIMEOUT (${limit} s)" ;;
	*) step_status="FAIL (exit $rc)" ;;
	esac
	if [ "$jsonfile" = - ]; then
		say "--- stdout"
		cat "$out" >>"$log"
	elif [ -s "$out" ]; then
		cp "$out" "$results/$jsonfile"
		say "--- stdout: $jsonfile ($(wc -c <"$out") bytes)"
	fi
	say "--- stderr"
	cat "$err" >>"$log"
	say "--- exit status $rc after $step_secs s: $step_status"
}

# large_data writes the large and multi steps' data set once: m examples of
# nx features, the label (x1 + x2 + x3 > 0), from awk's srand(1).
large_m=8192 large_nx=64 large_hidden=4096 large_iters=200
[ "$quick" = 0 ] || { large_m=512 large_nx=16 large_hidden=64 large_iters=50; }
large_data() {
	[ ! -s "$work/large.csv" ] || return 0
	say ""
	say "## data: $large_m examples x $large_nx features, label (x1 + x2 + x3 > 0), awk srand(1)"
	awk -v m="$large_m" -v n="$large_nx" 'BEGIN {
		srand(1)
		for (i = 0; i < m; i++) {
			s = 0; line = ""
			for (j = 0; j < n; j++) { v = 2 * rand() - 1; if (j < 3) s += v; line = line sprintf("%.6f,", v) }
			print line (s > 0 ? 1 : 0)
		}
	}' >"$work/large.csv" || say "awk failed"
}

# last_err prints the last line of a step's stderr (cltrain's error), for
# the table.
last_err() { grep -v '^[[:space:]]*$' "$work/$1.err" 2>/dev/null | tail -n 1 | cut -c1-120; }

# jnum prints the number after "KEY": in the file $2 (the first one).
jnum() { sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p" "$2" | head -n 1; }
jstr() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$2" | head -n 1; }

# train_key summarises one train --json line.
train_key() {
	local f=$1
	awk -v loss="$(jnum loss "$f")" -v acc="$(jnum accuracy "$f")" -v ips="$(jnum iters_per_sec "$f")" \
		-v wall="$(jnum wall_s "$f")" -v dev="$(jstr name "$f")" -v be="$(jstr backend "$f")" \
		'BEGIN {
			printf "loss %.4f, accuracy %.1f%%, " (ips >= 100 ? "%.0f" : "%.3g") " it/s, %.2f s %s",
				loss, 100 * acc, ips, wall, (dev != "" ? "on " dev : "(backend " be ")")
		}'
}

failed_core=0
failed_other=0
run_step() { # name: runs one of the five steps, records its row
	local name=$1 key="" output=null
	if ! wanted "$name"; then
		return
	fi
	case $name in
	devices)
		[ -z "$bin" ] || run_for 60 "$bin" devices >"$work/devices-table.out" 2>&1
		step devices 60 devices.json devices --json
		if [ -s "$work/devices-table.out" ]; then
			say "--- cltrain devices"
			cat "$work/devices-table.out" >>"$log"
		fi
		if [ "$step_status" = ok ]; then
			local n def
			n=$(grep -c '"index":' "$results/devices.json")
			def=$(awk -F'  +' '$1 ~ /^[0-9]+\*$/ { print $3 " (" $2 ", " $4 ")"; exit }' "$work/devices-table.out")
			key="$n device(s); default: ${def:-?}"
			[ "$n" -gt 0 ] || step_status="FAIL (no devices)"
		fi
		;;
	validate)
		if [ "$quick" = 1 ]; then
			step validate 180 validate.json validate --json --quick
		else
			step validate 180 validate.json validate --json
		fi
		if [ -s "$results/validate.json" ]; then
			local total fails
			total=$(grep -c '"kernel":' "$results/validate.json")
			fails=$(grep -c '"pass": false' "$results/validate.json")
			# The top-level "pass" is false too when any kernel failed.
			[ "$fails" -eq 0 ] || fails=$((fails - 1))
			key="$((total - fails))/$total checks pass on $(jstr name "$results/validate.json")"
		fi
		;;
	bench)
		if [ "$quick" = 1 ]; then
			record bench skipped 0.00 "skipped in quick mode" null
			return
		fi
		step bench 180 bench.json bench --quick --json
		if [ "$step_status" = ok ]; then
			local peak copy
			peak=$(jnum gflops "$results/bench.json")
			copy=$(jnum copy_gbps "$results/bench.json")
			if [ -n "$peak" ]; then
				key=$(awk -v p="$peak" -v c="${copy:-0}" 'BEGIN { printf "measured peak %.1f GFLOP/s, copy %.1f GB/s; rows in bench.json", p, c }')
			else
				key="see bench.json"
			fi
		fi
		;;
	flower)
		if [ "$quick" = 1 ]; then
			step flower 120 - train --backend opencl --plot "$results/flower.png" --json --quiet --iters 500
		else
			step flower 120 - train --backend opencl --plot "$results/flower.png" --json --quiet
		fi
		[ "$step_status" != ok ] || key=$(train_key "$work/flower.out")
		;;
	large)
		large_data
		step large 240 - train --backend opencl --data "$work/large.csv" --hidden "$large_hidden" --iters "$large_iters" --lr 0.5 \
			--log-every 50 --json --quiet
		[ "$step_status" != ok ] || key="$large_m x $large_nx, hidden $large_hidden: $(train_key "$work/large.out")"
		;;
	multi)
		local n
		n=$([ -z "$bin" ] || "$bin" devices --json 2>/dev/null | grep -c '"index":')
		if [ "${n:-0}" -lt 2 ]; then
			record multi skipped 0.00 "${n:-0} device(s): needs two or more" null
			return
		fi
		large_data
		step multi 240 - train --backend opencl --device all --data "$work/large.csv" --hidden "$large_hidden" \
			--iters "$large_iters" --lr 0.5 --log-every 50 --json --quiet
		if [ "$step_status" = ok ]; then
			key="$n devices: $(train_key "$work/multi.out"), comm $(jnum comm_s "$work/multi.out") s"
			[ ! -s "$work/large.out" ] || key="$key; one device: $(jnum wall_s "$work/large.out") s"
		fi
		;;
	esac
	if [ "$step_status" = ok ] && [[ $name == flower || $name == large || $name == multi ]]; then
		# train --json prints one JSON object on one line.
		output=$(head -n 1 "$work/$name.out")
		[[ $output == \{*\} ]] || output=null
	fi
	if [ "$step_status" != ok ] && [[ $step_status != skipped* ]]; then
		[ -n "$key" ] || key=$(last_err "$name")
		case $name in
		devices | validate) failed_core=1 ;;
		*) failed_other=1 ;;
		esac
	fi
	record "$name" "$step_status" "$step_secs" "$key" "$output"
}

for s in devices validate bench flower large multi; do
	run_step "$s"
done

# ---------------------------------------------------------------- report
total=$(awk -v a="$t_start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
{
	echo "cltrain gpu-check ($([ "$quick" = 1 ] && echo quick || echo full)), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -n)"
	echo "binary: ${bin:-none}${bin_note:+ ($bin_note)}"
	echo "OpenCL: $setup_key"
	echo ""
	printf '%-13s %-28s %8s  %s\n' STEP STATUS SECONDS "KEY FIGURE"
	for i in "${!names[@]}"; do
		printf '%-13s %-28s %8s  %s\n' "${names[$i]}" "${statuses[$i]}" "${seconds[$i]}" "${keys[$i]}"
	done
	echo ""
	echo "total ${total} s; details in log.txt"
} >"$summary"

{
	printf '{\n  "mode": %s,\n  "host": %s,\n  "binary": %s,\n  "nvidia_opencl": %s,\n  "loader": %s,\n  "total_s": %s,\n  "steps": [\n' \
		"$(json_str "$([ "$quick" = 1 ] && echo quick || echo full)")" "$(json_str "$(uname -n)")" \
		"$(json_str "${bin:-}")" "$(json_str "$nvidia_lib")" "$(json_str "$loader")" "$total"
	for i in "${!names[@]}"; do
		sep=","
		[ "$i" -lt $((${#names[@]} - 1)) ] || sep=""
		printf '    {"name": %s, "status": %s, "seconds": %s, "key": %s, "output": %s}%s\n' \
			"$(json_str "${names[$i]}")" "$(json_str "${statuses[$i]}")" "${seconds[$i]}" \
			"$(json_str "${keys[$i]}")" "${outputs[$i]}" "$sep"
	done
	printf '  ]\n}\n'
} >"$results/results.json"

n_files=$(find "$results" -mindepth 1 | wc -l)
if [ "$n_files" -gt "$max_files" ]; then
	echo "WARNING: $results holds $n_files entries; a GPU machine sends back only $max_files" | tee -a "$summary" >&2
fi
cat "$summary"

if [ "$failed_core" = 1 ]; then
	exit 1
elif [ "$failed_other" = 1 ]; then
	exit 2
fi
exit 0
}
