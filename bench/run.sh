#!/usr/bin/env bash
# bench/run.sh - build the benchmark at -O2 in its own build directories, run
# every measurement and write bench/results/latest.md (then print it).
#
#   bench/run.sh            build, measure, report
#   bench/run.sh --report   only rewrite the report from the last run's outputs
#
# Environment: JOBS (parallel jobs, default nproc), QOPS (operations per trace
# for the per-operation distributions, default 100000), PTOPS (operations per
# trace for the ptrace single-step counter, default 2000: single-stepping
# costs ~40 us per instruction on a VM), CQOPS (operations of the steady
# trace per qemu run of the capability-layer section, default 20000).
set -uo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
QOPS=${QOPS:-100000}
PTOPS=${PTOPS:-2000}
CQOPS=${CQOPS:-20000}
TRACES=(steady small ramp power)
ALLOCS=(capheap glibc)
# Caps masks of the capability-layer section (caps_layer.c), and their names.
MASKS=(default default_internal dma 32bit exec spiram)
declare -A MASK_LABEL=([default]='DEFAULT' [default_internal]='DEFAULT\|INTERNAL'
    [dma]='DMA' [32bit]='32BIT' [exec]='EXEC' [spiram]='SPIRAM')

B64=build-bench
B32=build-bench-m32
BNONE=build-bench-none
BCM=build-bench-cm
RAW=$B64/raw
TRDIR=$B64/traces
OUT=bench/results/latest.md
BIN64=$B64/bench/capheap-bench
BIN32=$B32/bench/capheap-bench
BINNONE=$BNONE/bench/capheap-bench
BINCM=$BCM/capheap-bench-cm
BINCAPS64=$B64/bench/capheap-bench-caps
BINCAPS32=$B32/bench/capheap-bench-caps
BINCAPSNONE=$BNONE/bench/capheap-bench-caps
QCOUNT=$B64/bench/capheap-qcount
COMMANDS=$RAW/commands.txt
# qemu logs are large (~300 MB per 100,000 operations): tmpfs if there is one.
LOGDIR=$B64
[ -d /dev/shm ] && [ -w /dev/shm ] && LOGDIR=/dev/shm

START=$(date +%s)
note() { printf '[%4ds] %s\n' $(($(date +%s) - START)) "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
# Record a command line for the report.
record() { echo "$*" >>"$COMMANDS"; }
# Record a command line, then run it.
logged() {
    printf '%q ' "$@" | sed 's/ $//' >>"$COMMANDS"
    echo >>"$COMMANDS"
    "$@"
}

# job NAME CMD...: run in the background, at most JOBS at a time; output in
# $RAW/NAME.out, errors in NAME.err, exit status in NAME.rc.
job() {
    local name=$1
    shift
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n 2>/dev/null || true; done
    ( "$@" >"$RAW/$name.out" 2>"$RAW/$name.err"; echo $? >"$RAW/$name.rc" ) &
}

# qcount EMULATOR BINARY TRACE ALLOC N: instruction counts of the first N
# operations from a qemu in_asm/exec log (see qcount.c).
QFLAGS=(-d in_asm,exec,nochain)
qcount() {
    local q=$1 bin=$2 t=$3 a=$4 n=$5 log rc
    log=$(mktemp -p "$LOGDIR" capheap-qlog.XXXXXX) || return 1
    "$q" "${QFLAGS[@]}" -D "$log" "$bin" marked "$t" "$a" "$n" "$TRDIR/$t.trace"
    rc=$?
    [ $rc -eq 0 ] && { "$QCOUNT" <"$log"; rc=$?; }
    rm -f "$log"
    return $rc
}

# callgrind BINARY TRACE ALLOC: Ir of the allocator entry points only, over
# the whole replay; prints the replay's call counts, the total ("cg.total")
# and the inclusive cost of each entry point ("cg.fn.1..3": alloc, free,
# realloc).
CG_OPTS=(--tool=callgrind --collect-atstart=no --zero-before=bench_drv_replay
    --dump-after=bench_drv_replay)
CG_CAPHEAP=(--toggle-collect=capheap_heap_alloc --toggle-collect=capheap_heap_free
    --toggle-collect=capheap_heap_realloc)
CG_GLIBC=(--toggle-collect=malloc --toggle-collect=free --toggle-collect=realloc)
callgrind() {
    local bin=$1 t=$2 a=$3 f fns rc
    f=$(mktemp -p "$RAW" callgrind.XXXXXX) || return 1
    if [ "$a" = glibc ]; then
        valgrind "${CG_OPTS[@]}" "${CG_GLIBC[@]}" --callgrind-out-file="$f" "$bin" replay "$t" "$a"
        fns="malloc free realloc"
    else
        valgrind "${CG_OPTS[@]}" "${CG_CAPHEAP[@]}" --callgrind-out-file="$f" "$bin" replay "$t" "$a"
        fns="capheap_heap_alloc capheap_heap_free capheap_heap_realloc"
    fi
    rc=$?
    [ $rc -eq 0 ] && [ -f "$f.1" ] || { rm -f "$f" "$f".*; return 1; }
    awk '/^summary:/ { print "cg.total", $2 }' "$f.1"
    # The inclusive cost of each entry point (callgrind_annotate's lines
    # read "  123,456 (48.8%)  file:function [object]").
    callgrind_annotate --inclusive=yes --auto=no "$f.1" 2>/dev/null |
        awk -v fns="$fns" 'BEGIN { n = split(fns, f, " ") }
            { for (i = 1; i <= n; i++) if (index($0, ":" f[i] " [")) {
                  v = $1; gsub(",", "", v); if (v + 0 > best[i]) best[i] = v + 0 } }
            END { for (i = 1; i <= n; i++) print "cg.fn." i, best[i] + 0 }'
    rm -f "$f" "$f".*
}

# qlog EMULATOR BINARY ARGS...: instruction counts of the marked calls of a
# run under qemu's log (see qcount.c).
qlog() {
    local q=$1 log rc
    shift
    log=$(mktemp -p "$LOGDIR" capheap-qlog.XXXXXX) || return 1
    "$q" "${QFLAGS[@]}" -D "$log" "$@"
    rc=$?
    [ $rc -eq 0 ] && { "$QCOUNT" <"$log"; rc=$?; }
    rm -f "$log"
    return $rc
}

# cgcaps BINARY CHIP LAYER: capheap-bench-caps replays the steady trace once
# per mask under callgrind, collecting only LAYER's entry points (never both
# layers': toggling nested entry points cancels). One dump per replay; for
# dump k prints "cgd.k total=<Ir> alloc=<inclusive Ir> free=<inclusive Ir>".
CG_CAPS=(--toggle-collect=capheap_caps_alloc --toggle-collect=capheap_caps_free)
CG_CORE=(--toggle-collect=capheap_heap_alloc --toggle-collect=capheap_heap_free)
cgcaps() {
    local bin=$1 chip=$2 layer=$3 f d fns rc
    f=$(mktemp -p "$RAW" callgrind.XXXXXX) || return 1
    if [ "$layer" = caps ]; then
        valgrind "${CG_OPTS[@]}" "${CG_CAPS[@]}" --callgrind-out-file="$f" "$bin" replay "$chip" caps
        fns="capheap_caps_alloc capheap_caps_free"
    else
        valgrind "${CG_OPTS[@]}" "${CG_CORE[@]}" --callgrind-out-file="$f" "$bin" replay "$chip" core
        fns="capheap_heap_alloc capheap_heap_free"
    fi
    rc=$?
    [ $rc -eq 0 ] && [ -f "$f.1" ] || { rm -f "$f" "$f".*; return 1; }
    for d in "$f".*; do
        callgrind_annotate --inclusive=yes --auto=no "$d" 2>/dev/null |
            awk -v fns="$fns" -v k="${d##*.}" -v total="$(awk '/^summary:/ { print $2 }' "$d")" '
                BEGIN { n = split(fns, f, " ") }
                { for (i = 1; i <= n; i++) if (index($0, ":" f[i] " [")) {
                      v = $1; gsub(",", "", v); if (v + 0 > best[i]) best[i] = v + 0 } }
                END { print "cgd." k, "total=" total, "alloc=" best[1] + 0, "free=" best[2] + 0 }'
    done
    rm -f "$f" "$f".*
}

# capschip NAME CMD...: which ESP32 map capheap-bench-caps (CMD, with its
# emulator) can boot: "esp32" where the ESP32's own addresses are free, else
# "esp32-moved". The probe's output goes to $RAW/capsprobe.NAME.out; its
# "taken" exit status (3) is an answer, not a failure.
capschip() {
    local name=$1 rc
    shift
    "$@" probe esp32 >"$RAW/capsprobe.$name.out" 2>"$RAW/capsprobe.$name.err"
    rc=$?
    echo $((rc == 3 ? 0 : rc)) >"$RAW/capsprobe.$name.rc"
    [ $rc = 0 ] && echo esp32 || echo esp32-moved
}

# ---- build and measure -------------------------------------------------------

measure() {
    mkdir -p "$B64" bench/results
    rm -rf "$RAW" "$TRDIR"
    mkdir -p "$RAW" "$TRDIR"
    : >"$COMMANDS"

    local cfg=(-DCMAKE_BUILD_TYPE=None -DCAPHEAP_BUILD_TESTS=OFF -DCAPHEAP_BUILD_BENCH=ON)
    local m32=0 none=0 cm=0 cg=0 q64=0 caps64=0 caps32=0 capsnone=0 t a l m c row p b
    local chip64=esp32 chip32=esp32

    note "building x86-64 (-O2)"
    logged cmake -S . -B "$B64" "${cfg[@]}" -DCMAKE_C_FLAGS=-O2 >/dev/null &&
        logged cmake --build "$B64" -j "$JOBS" --target capheap-bench capheap-qcount >/dev/null ||
        { echo "run.sh: the x86-64 build failed" >&2; exit 1; }
    logged cmake --build "$B64" -j "$JOBS" --target capheap-bench-caps >/dev/null && caps64=1

    if have qemu-i386 &&
        echo 'int main(void){return 0;}' | gcc -m32 -x c - -o "$B64/m32-probe" 2>/dev/null; then
        note "building i386 (-m32 -O2)"
        logged cmake -S . -B "$B32" "${cfg[@]}" "-DCMAKE_C_FLAGS=-m32 -O2" \
            -DCMAKE_CROSSCOMPILING_EMULATOR=qemu-i386 >/dev/null &&
            logged cmake --build "$B32" -j "$JOBS" --target capheap-bench >/dev/null && m32=1
        [ $m32 = 1 ] &&
            logged cmake --build "$B32" -j "$JOBS" --target capheap-bench-caps >/dev/null && caps32=1
    fi

    note "building x86-64 with port none (-O2)"
    logged cmake -S . -B "$BNONE" "${cfg[@]}" -DCMAKE_C_FLAGS=-O2 -DCAPHEAP_PORT=none >/dev/null &&
        logged cmake --build "$BNONE" -j "$JOBS" --target capheap-bench >/dev/null && none=1
    [ $none = 1 ] &&
        logged cmake --build "$BNONE" -j "$JOBS" --target capheap-bench-caps >/dev/null && capsnone=1

    if have arm-none-eabi-gcc && have qemu-arm; then
        note "building Cortex-M4 (arm-none-eabi-gcc -O2)"
        mkdir -p "$BCM"
        logged arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -O2 -std=c11 -ffreestanding \
            -Wall -Wextra -Werror -pedantic -DCAPHEAP_PORT_NONE -Iinclude -Isrc \
            bench/cm_main.c bench/trace.c bench/replay.c bench/alloc_capheap.c \
            bench/space.c bench/check.c bench/caps_layer.c src/core/*.c src/caps/*.c \
            src/chips/*.c src/ports/none/port_none.c -nostartfiles -o "$BINCM" && cm=1
    fi
    have valgrind && have callgrind_annotate && cg=1
    have qemu-x86_64 && q64=1

    note "describing and dumping the traces"
    logged "$BIN64" info >"$RAW/info.x86_64.out" && echo 0 >"$RAW/info.x86_64.rc" ||
        { echo "run.sh: info failed" >&2; exit 1; }
    for t in "${TRACES[@]}"; do
        logged "$BIN64" dump "$t" "$TRDIR/$t.trace" || exit 1
    done

    # Latencies first and alone: they are the only wall-clock figures.
    note "latencies (clock_gettime, x86-64 native)"
    for t in "${TRACES[@]}"; do
        logged "$BIN64" latency "$t" >"$RAW/lat.$t.out" 2>"$RAW/lat.$t.err"
        echo $? >"$RAW/lat.$t.rc"
    done

    note "validation, space, smallest arenas"
    record "$BIN64 check | space | fit"
    job check.x86_64 "$BIN64" check
    job space.x86_64 "$BIN64" space
    job fit.x86_64 "$BIN64" fit
    if [ $m32 = 1 ]; then
        record "qemu-i386 $BIN32 info | check | space | fit"
        job info.i386 qemu-i386 "$BIN32" info
        job check.i386 qemu-i386 "$BIN32" check
        job space.i386 qemu-i386 "$BIN32" space
        job fit.i386 qemu-i386 "$BIN32" fit
    fi
    if [ $cm = 1 ]; then
        record "qemu-arm $BINCM info | check | space | fit"
        job info.cm qemu-arm "$BINCM" info
        job check.cm qemu-arm "$BINCM" check
        job space.cm qemu-arm "$BINCM" space
        job fit.cm qemu-arm "$BINCM" fit
    fi

    if [ $cg = 1 ]; then
        note "callgrind (x86-64, whole traces)"
        record "valgrind ${CG_OPTS[*]} ${CG_CAPHEAP[*]} --callgrind-out-file=F $BIN64 replay <trace> capheap"
        record "valgrind ${CG_OPTS[*]} ${CG_GLIBC[*]} --callgrind-out-file=F $BIN64 replay <trace> glibc"
        [ $none = 1 ] &&
            record "valgrind ${CG_OPTS[*]} ${CG_CAPHEAP[*]} --callgrind-out-file=F $BINNONE replay <trace> capheap"
        record "callgrind_annotate --inclusive=yes --auto=no F.1"
        for t in "${TRACES[@]}"; do
            for a in "${ALLOCS[@]}"; do
                job "cg.$t.$a" callgrind "$BIN64" "$t" "$a"
            done
            [ $none = 1 ] && job "cgnone.$t.capheap" callgrind "$BINNONE" "$t" capheap
        done
    fi

    note "ptrace single-step counts (first $PTOPS operations)"
    record "$BIN64 opcount <trace> <alloc> $PTOPS"
    [ $q64 = 1 ] &&
        record "qemu-x86_64 ${QFLAGS[*]} -D LOG $BIN64 marked <trace> <alloc> $PTOPS $TRDIR/<trace>.trace; $QCOUNT < LOG"
    for t in "${TRACES[@]}"; do
        for a in "${ALLOCS[@]}"; do
            job "pt.$t.$a" "$BIN64" opcount "$t" "$a" "$PTOPS"
            [ $q64 = 1 ] && job "qv.$t.$a" qcount qemu-x86_64 "$BIN64" "$t" "$a" "$PTOPS"
        done
    done

    note "qemu instruction logs (first $QOPS operations)"
    [ $q64 = 1 ] &&
        record "qemu-x86_64 ${QFLAGS[*]} -D LOG $BIN64 marked <trace> <alloc> $QOPS $TRDIR/<trace>.trace; $QCOUNT < LOG"
    [ $m32 = 1 ] &&
        record "qemu-i386 ${QFLAGS[*]} -D LOG $BIN32 marked <trace> <alloc> $QOPS $TRDIR/<trace>.trace; $QCOUNT < LOG"
    [ $cm = 1 ] &&
        record "qemu-arm ${QFLAGS[*]} -D LOG $BINCM marked <trace> capheap $QOPS $TRDIR/<trace>.trace; $QCOUNT < LOG"
    for t in "${TRACES[@]}"; do
        for a in "${ALLOCS[@]}"; do
            [ $q64 = 1 ] && job "q64.$t.$a" qcount qemu-x86_64 "$BIN64" "$t" "$a" "$QOPS"
            [ $m32 = 1 ] && job "q32.$t.$a" qcount qemu-i386 "$BIN32" "$t" "$a" "$QOPS"
        done
        [ $cm = 1 ] && job "qcm.$t.capheap" qcount qemu-arm "$BINCM" "$t" capheap "$QOPS"
    done
    # The capability layer: x86-64 under callgrind (whole steady trace, on
    # the simulated ESP32 with 4 MiB PSRAM); i386 and Cortex-M4 from qemu
    # logs (first CQOPS operations); the boot heaps' control structures.
    note "capability layer (simulated ESP32; qemu runs: first $CQOPS operations)"
    if [ $capsnone = 1 ]; then
        record "$BINCAPSNONE probe esp32"
        chip64=$(capschip x86_64 "$BINCAPSNONE")
        record "$BINCAPSNONE meta esp32 | meta esp32-moved"
        job capsmeta.x86_64 "$BINCAPSNONE" meta "$chip64"
        job capsmeta.x86_64moved "$BINCAPSNONE" meta esp32-moved
    fi
    if [ $cg = 1 ]; then
        for row in "none|$capsnone|$BINCAPSNONE" "pthread|$caps64|$BINCAPS64"; do
            IFS='|' read -r p c b <<<"$row"
            [ "$c" = 1 ] || continue
            record "valgrind ${CG_OPTS[*]} ${CG_CAPS[*]} --callgrind-out-file=F $b replay $chip64 caps"
            record "valgrind ${CG_OPTS[*]} ${CG_CORE[*]} --callgrind-out-file=F $b replay $chip64 core"
            for l in caps core; do
                job "cgcaps.$p.$l" cgcaps "$b" "$chip64" "$l"
            done
        done
    fi
    if [ $caps32 = 1 ]; then
        record "qemu-i386 $BINCAPS32 probe esp32"
        chip32=$(capschip i386 qemu-i386 "$BINCAPS32")
        record "qemu-i386 $BINCAPS32 meta $chip32"
        job capsmeta.i386 qemu-i386 "$BINCAPS32" meta "$chip32"
        record "qemu-i386 ${QFLAGS[*]} -D LOG $BINCAPS32 marked <$chip32|host> <caps|core> <mask> $CQOPS $TRDIR/steady.trace; $QCOUNT < LOG"
        for c in "$chip32" host; do
            for m in "${MASKS[@]}"; do
                [ "$c" = host ] && [ "$m" = spiram ] && continue # no PSRAM
                for l in caps core; do
                    job "qcaps.i386.$c.$l.$m" qlog qemu-i386 "$BINCAPS32" marked "$c" "$l" "$m" \
                        "$CQOPS" "$TRDIR/steady.trace"
                done
            done
        done
    fi
    if [ $cm = 1 ]; then
        record "qemu-arm $BINCM capsmeta"
        job capsmeta.cm qemu-arm "$BINCM" capsmeta
        record "qemu-arm ${QFLAGS[*]} -D LOG $BINCM capsmarked <caps|core> <mask> $CQOPS $TRDIR/steady.trace; $QCOUNT < LOG"
        for m in "${MASKS[@]}"; do
            for l in caps core; do
                job "qcaps.cm.esp32-moved.$l.$m" qlog qemu-arm "$BINCM" capsmarked "$l" "$m" \
                    "$CQOPS" "$TRDIR/steady.trace"
            done
        done
    fi
    echo "chip64=$chip64 chip32=$chip32" >"$RAW/capschips"

    wait
    echo $(($(date +%s) - START)) >"$RAW/elapsed"
    date -u '+%Y-%m-%d %H:%M UTC' >"$RAW/date"
    echo "JOBS=$JOBS QOPS=$QOPS PTOPS=$PTOPS CQOPS=$CQOPS" >"$RAW/settings"
    note "measurements done"
}

# ---- report ------------------------------------------------------------------

# Every output line "<record> <tokens>" of $RAW/<job>.out is loaded as
# V[job|record|key]=value for each key=value token, V[job|record|#i] for the
# i-th token and V[job|record|*] for the whole rest of the line. The report
# then looks values up without running a process per table cell.
declare -A V
load() {
    local f job rec rest tok i files=("$RAW"/*.out)
    set -f # the tokens below are split, not globbed
    for f in "${files[@]}"; do
        job=${f##*/}
        job=${job%.out}
        while read -r rec rest; do
            [ -n "$rec" ] || continue
            V["$job|$rec|*"]=$rest
            i=0
            for tok in $rest; do
                i=$((i + 1))
                V["$job|$rec|#$i"]=$tok
                [[ $tok == *=* ]] && V["$job|$rec|${tok%%=*}"]=${tok#*=}
            done
        done <"$f"
    done
    set +f
}
v() { echo "${V[$1|$2|$3]:-n/a}"; }
ok() { [ -f "$RAW/$1.rc" ] && [ "$(<"$RAW/$1.rc")" = 0 ]; }
ran() { [ -f "$RAW/$1.rc" ]; }
isnum() { [[ ${1:-} =~ ^[0-9]+$ ]]; }
# divto VAR A B: VAR = A / B to one decimal, or n/a (no subshell: the report
# computes hundreds of these)
divto() {
    if isnum "$2" && isnum "$3" && [ "$3" != 0 ]; then
        local q=$((($2 * 10 + $3 / 2) / $3))
        printf -v "$1" '%d.%d' $((q / 10)) $((q % 10))
    else
        printf -v "$1" 'n/a'
    fi
}
div() {
    local r
    divto r "$1" "$2"
    echo "$r"
}
# milli X: a decimal number times 1000, as an integer
milli() {
    local int=${1%%.*} frac=
    [ "$int" != "$1" ] && frac=${1#*.}
    frac=${frac}000
    echo $((10#$int * 1000 + 10#${frac:0:3}))
}
# meets VALUE LIMIT: yes, **no** or n/a
meets() {
    [[ ${1:-} =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo n/a; return; }
    [ "$(milli "$1")" -le "$(milli "$2")" ] && echo yes || echo "**no**"
}
calls() { # calls JOB RECORD: allocator calls a replay made
    local x=${V[$1|$2|alloc]:-} y=${V[$1|$2|free]:-} z=${V[$1|$2|realloc]:-}
    isnum "$x" && isnum "$y" && isnum "$z" || { echo n/a; return; }
    echo $((x + y + z))
}
meanto() { # meanto VAR JOB KIND: mean of a counter's steps.KIND line
    divto "$1" "${V[$2|steps.$3|sum]:-}" "${V[$2|steps.$3|n]:-}"
}
# maxof FIELD JOB...: the largest "steps.alloc" / "steps.free" FIELD
maxof() {
    local field=$1 best= j k x
    shift
    for j in "$@"; do
        ok "$j" || continue
        for k in alloc free; do
            x=${V[$j|steps.$k|$field]:-}
            isnum "$x" && { [ -z "$best" ] || [ "$x" -gt "$best" ]; } && best=$x
        done
    done
    echo "${best:-n/a}"
}
line1() { "$@" 2>&1 | head -n 1; }

# ---- the capability layer's figures -------------------------------------------

# sdivto VAR A B: A / B to one decimal with its sign ("+17.0", "-0.4", "0.0"),
# for an integer A of either sign and a positive B; else n/a.
sdivto() {
    if [[ ${2:-} =~ ^-?[0-9]+$ ]] && isnum "${3:-}" && [ "$3" != 0 ]; then
        local a=${2#-} s=+ q
        [ "${2:0:1}" = - ] && s=-
        q=$(((a * 10 + $3 / 2) / $3))
        [ $q = 0 ] && s=
        printf -v "$1" '%s%d.%d' "$s" $((q / 10)) $((q % 10))
    else
        printf -v "$1" 'n/a'
    fi
}
# smeets VALUE LIMIT: meets for a signed VALUE (at or below zero meets it)
smeets() {
    case ${1:-} in
    -*) echo yes ;;
    +*) meets "${1#+}" "$2" ;;
    *) meets "$1" "$2" ;;
    esac
}

# capsfill TYPE NA NF TOTC TOTK AC AK FC FK FAILS: R[] for one mask from
# the calls (NA allocations, NF frees), the caps run's instructions (total,
# alloc, free) and the core run's; FAILS: failed allocations of both runs.
declare -A R
capsfill() {
    local ty=${1:-n/a} na=${2:-} nf=${3:-} tc=${4:-} tk=${5:-} ac=${6:-} ak=${7:-}
    local fc=${8:-} fk=${9:-} n=
    R=([type]=$ty [fails]=${10:-n/a} [diff]='' [n]='' [maxc]=n/a [maxk]=n/a)
    isnum "$na" && isnum "$nf" && n=$((na + nf))
    divto "R[caps]" "$tc" "$n"
    divto "R[core]" "$tk" "$n"
    divto "R[acaps]" "$ac" "$na"
    divto "R[acore]" "$ak" "$na"
    divto "R[fcaps]" "$fc" "$nf"
    divto "R[fcore]" "$fk" "$nf"
    R[add]=n/a R[aadd]=n/a R[fadd]=n/a
    if isnum "$tc" && isnum "$tk" && isnum "$n"; then
        sdivto "R[add]" $((tc - tk)) "$n"
        R[diff]=$((tc - tk)) R[n]=$n
    fi
    isnum "$ac" && isnum "$ak" && sdivto "R[aadd]" $((ac - ak)) "$na"
    isnum "$fc" && isnum "$fk" && sdivto "R[fadd]" $((fc - fk)) "$nf"
    R[calls]=${n:-n/a}
}
# fsum A B: A + B, or n/a
fsum() { isnum "${1:-}" && isnum "${2:-}" && echo $(($1 + $2)) || echo n/a; }
# capscg PORT CHIP MASK: R[] from the callgrind jobs cgcaps.PORT.caps/core
capscg() {
    local jc=cgcaps.$1.caps jk=cgcaps.$1.core rc=capsrun.$2.caps.$3 rk=capsrun.$2.core.$3
    local kc=${V[$jc|$rc|dump]:-x} kk=${V[$jk|$rk|dump]:-x}
    ok "$jc" && ok "$jk" || { capsfill; return; }
    capsfill "${V[$jc|$rc|type]:-}" "${V[$jc|$rc|alloc]:-}" "${V[$jc|$rc|free]:-}" \
        "${V[$jc|cgd.$kc|total]:-}" "${V[$jk|cgd.$kk|total]:-}" \
        "${V[$jc|cgd.$kc|alloc]:-}" "${V[$jk|cgd.$kk|alloc]:-}" \
        "${V[$jc|cgd.$kc|free]:-}" "${V[$jk|cgd.$kk|free]:-}" \
        "$(fsum "${V[$jc|$rc|fails]:-}" "${V[$jk|$rk|fails]:-}")"
    [ "${V[$jc|$rc|alloc]:-}" = "${V[$jk|$rk|alloc]:-}" ] || R[add]=n/a
}
# capsq ARCH CHIP MASK: R[] from the qemu jobs qcaps.ARCH.CHIP.caps/core.MASK
capsq() {
    local jc=qcaps.$1.$2.caps.$3 jk=qcaps.$1.$2.core.$3
    ok "$jc" && ok "$jk" || { capsfill; return; }
    capsfill "${V[$jc|capsmarked.$2.caps.$3|type]:-}" \
        "${V[$jc|steps.alloc|n]:-}" "${V[$jc|steps.free|n]:-}" \
        "${V[$jc|steps.all|sum]:-}" "${V[$jk|steps.all|sum]:-}" \
        "${V[$jc|steps.alloc|sum]:-}" "${V[$jk|steps.alloc|sum]:-}" \
        "${V[$jc|steps.free|sum]:-}" "${V[$jk|steps.free|sum]:-}" \
        "$(fsum "${V[$jc|capsmarked.$2.caps.$3|fails]:-}" "${V[$jk|capsmarked.$2.core.$3|fails]:-}")"
    [ "${V[$jc|steps.all|n]:-}" = "${V[$jk|steps.all|n]:-}" ] || R[add]=n/a
    R[maxc]=${V[$jc|steps.all|max]:-n/a} R[maxk]=${V[$jk|steps.all|max]:-n/a}
}
# capsmean VAR FN ARGS...: the layer's cost over every mask FN ARGS <mask>
# can measure, as one figure: (sum of caps - core instructions) / calls.
capsmean() {
    local var=$1 m d=0 n=0
    shift
    for m in "${MASKS[@]}"; do
        "$@" "$m"
        [ -n "${R[n]}" ] || continue
        d=$((d + R[diff]))
        n=$((n + R[n]))
    done
    sdivto "$var" "$d" "$n"
}

# capsreport CHIP64 CHIP32: section 6 of the report.
capsreport() {
    local chip64=$1 chip32=$2 m row p j b label x c arch name probe
    echo "## 6. The capability layer"
    echo
    echo "\`capheap_caps_alloc(ch, size, mask)\` and \`capheap_caps_free\` on the simulated ESP32:"
    echo "\`capheap_sim_map()\` of ESP-IDF's ESP32 map with CAPHEAP_OPT_PSRAM (4 MiB), then"
    echo "\`capheap_caps_init()\` and \`capheap_caps_enable_nonos_stack_heaps()\` (bench/caps_main.c,"
    echo "bench/caps_layer.c). One booted heap replays the steady trace once per mask. Before each"
    echo "replay one allocation and free through the layer fills its selection cache and tells the"
    echo "type of the mask's first candidate; the **core** rows replay the same trace with"
    echo "\`capheap_heap_alloc(heap, <that type's tag>, size)\` / \`capheap_heap_free\` in the same"
    echo "heap. What the capability layer adds is the difference. Neither run has a failed"
    echo "allocation (\"Fails\"): the first type holds the whole trace, so the caps run never falls"
    echo "back to a later candidate and both runs carve the same blocks."
    echo
    echo "### x86-64 (callgrind, whole steady trace: ${V[info.x86_64|trace.steady|ops]:-n/a} operations per mask)"
    echo
    echo "Caps rows: \`--toggle-collect=capheap_caps_alloc --toggle-collect=capheap_caps_free\`; core"
    echo "rows, in a separate run: \`--toggle-collect=capheap_heap_alloc --toggle-collect=capheap_heap_free\`."
    echo "Never both layers' functions in one run: collection is toggled at every entry and exit,"
    echo "so an entry point called from another one switches it off. Callgrind follows the caps"
    echo "layer's tail calls into the core as calls (the two entry points' inclusive costs add up"
    echo "to the total). Port none (CAPHEAP_PORT=none, build-bench-none), chip: $chip64."
    echo
    if ran cgcaps.none.caps; then
        echo "| Mask | First type | Calls | caps instr/op | core instr/op | **the capability layer adds** | alloc: caps / core / adds | free: caps / core / adds | Fails | <= 15 |"
        echo "|---|---|---|---|---|---|---|---|---|---|"
        for m in "${MASKS[@]}"; do
            capscg none "$chip64" "$m"
            echo "| ${MASK_LABEL[$m]} | ${R[type]} | ${R[calls]} | ${R[caps]} | ${R[core]} | **${R[add]}** | ${R[acaps]} / ${R[acore]} / ${R[aadd]} | ${R[fcaps]} / ${R[fcore]} / ${R[fadd]} | ${R[fails]} | $(smeets "${R[add]}" 15) |"
        done
        capsmean x capscg none "$chip64"
        echo "| mean of the masks | | | | | **$x** | | | | $(smeets "$x" 15) |"
        echo
        if ran cgcaps.pthread.caps; then
            echo "Port pthread (build-bench; the heap has no lock set, so the core tests the NULL lock"
            echo "pointer on every call):"
            echo
            echo "| Mask | First type | caps instr/op | core instr/op | the capability layer adds | alloc adds | free adds | Fails |"
            echo "|---|---|---|---|---|---|---|---|"
            for m in "${MASKS[@]}"; do
                capscg pthread "$chip64" "$m"
                echo "| ${MASK_LABEL[$m]} | ${R[type]} | ${R[caps]} | ${R[core]} | **${R[add]}** | ${R[aadd]} | ${R[fadd]} | ${R[fails]} |"
            done
            capsmean x capscg pthread "$chip64"
            echo "| mean of the masks | | | | **$x** | | | |"
            echo
        fi
    else
        echo "Not measured: valgrind, callgrind_annotate or the port-none build is missing."
        echo
    fi
    echo "Target (the issue's): the capability layer adds at most 15 instructions per operation on"
    echo "average. For reference, ESP-IDF's heap_caps layer adds about 145 instructions per"
    echo "allocation and 45 per free; its whole path is about 325 instructions/op for DEFAULT and"
    echo "383 for DMA (the issue's figures, a 32-bit host build). On the ESP32 a DEFAULT request"
    echo "goes to PSRAM first (ESP-IDF registers it at the head of its list); DMA needs no alignment"
    echo "work there (the chip's cache_line is 4: words). EXEC requests take the layer's general"
    echo "path (an EXEC request served by D/IRAM would use the instruction-bus alias), the others"
    echo "its cached fast path, one call into the core."
    echo

    # -- i386 and Cortex-M4
    echo "### i386 and Cortex-M4 (qemu instruction logs, first $CQOPS operations per mask)"
    echo
    probe=${V[capsprobe.i386|caps.unmappable.esp32|*]:-}
    if [ "$chip32" = esp32-moved ]; then
        echo "**ESP32 at its own addresses: not measurable on i386 under qemu-user: the emulator's"
        echo "stack holds the ESP32's addresses** (\`capheap-bench-caps probe esp32\` under qemu-i386:"
        echo "\`${probe:-n/a}\`). Measured instead, and labelled so:"
        echo
        echo "- **esp32-moved**: the ESP32's map with every address 0x10000000 higher (regions,"
        echo "  reservations, alias windows, DMA range, default application ranges): the same sizes,"
        echo "  types and order, so \`capheap_caps_init()\` builds the same heaps at 0x4F800000-0x500A0000."
        echo "  The x86-64 columns of the control-structure table below compare it with the real map."
    else
        echo "The ESP32's own addresses are free under qemu-i386 here: the i386 rows use them."
        echo
    fi
    echo "- **host**: \`capheap_chip_host\` (one type, RAM, that has every capability but SPIRAM; two"
    echo "  4 MiB regions at 0x60000000), as requested where the ESP32 cannot be mapped. Its cache"
    echo "  line is 64 bytes, so its DMA requests are aligned and rounded to 64 (an aligned"
    echo "  allocation) and that row compares different core work."
    echo "- **Cortex-M4**: the arm-none-eabi build of section 2 (port none, alignment 8), the"
    echo "  ESP32's map moved into a static buffer (a freestanding build has no mmap)."
    echo
    echo "The i386 build is the bench's (port pthread, lock NULL; position-independent, so every"
    echo "entry point first loads its GOT pointer). Counted as in section 2 (qcount.c): every"
    echo "instruction between the markers outside the driver."
    echo
    echo "| Build | Chip | Mask | First type | caps instr/op | core instr/op | **the capability layer adds** | alloc adds | free adds | Fails | largest op: caps / core |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for row in "i386|$chip32|i386" "i386|host|i386" "cm|esp32-moved|Cortex-M4"; do
        IFS='|' read -r arch c name <<<"$row"
        for m in "${MASKS[@]}"; do
            ran "qcaps.$arch.$c.caps.$m" || continue
            capsq "$arch" "$c" "$m"
            echo "| $name | $c | ${MASK_LABEL[$m]} | ${R[type]} | ${R[caps]} | ${R[core]} | **${R[add]}** | ${R[aadd]} | ${R[fadd]} | ${R[fails]} | ${R[maxc]} / ${R[maxk]} |"
        done
        if ran "qcaps.$arch.$c.caps.default"; then
            capsmean x capsq "$arch" "$c"
            echo "| $name | $c | mean of the masks | | | | **$x** | | | | |"
        fi
    done
    echo

    # -- control structures
    echo "### Control structures of the ESP32's boot heaps"
    echo
    echo "The ESP32 booted without PSRAM, after \`capheap_caps_enable_nonos_stack_heaps()\` (ESP-IDF's"
    echo "figure is for its five boot heaps). Counted: the capability heap object,"
    echo "\`sizeof(capheap_caps_t)\`, which embeds the core's heap object; each type's control block,"
    echo "usable size + header of the block \`capheap_heap_walk()\` reports with \`.control\`; and what"
    echo "each region loses besides its blocks: its end marker (\`capheap_heap_region_info()\`'s end -"
    echo "the end of its last block) and the alignment padding at both ends (the bytes given to"
    echo "\`capheap_heap_add_region()\`, summed per type by \`total_bytes\`, - the region as"
    echo "region_info reports it). \`capheap-bench-caps meta <chip>\`; on the Cortex-M4,"
    echo "\`capheap-bench-cm capsmeta\`. 32-bit: i386 cannot map the ESP32's own addresses under"
    echo "qemu-user (above), so both 32-bit columns boot the moved map, which gives the same heaps"
    echo "from the same pieces: compare the two x86-64 columns."
    echo
    echo "The heaps ($chip64, x86-64):"
    echo
    echo "| Region | Type | Start | End | Bytes | End marker |"
    echo "|---|---|---|---|---|---|"
    for b in 0 1 2 3 4 5 6 7 8 9 10 11; do
        j="capsmeta.x86_64|capsmeta.$chip64.region.$b"
        [ -n "${V[$j|type]:-}" ] || continue
        echo "| $b | ${V[$j|type]} | ${V[$j|start]} | ${V[$j|end]} | ${V[$j|bytes]} | ${V[$j|end_marker]} |"
    done
    echo
    echo "| Bytes | x86-64 ($chip64) | x86-64 (esp32-moved) | i386 ($chip32) | Cortex-M4 (esp32-moved) | ESP-IDF (32-bit) |"
    echo "|---|---|---|---|---|---|"
    for row in "word|word|" "align|payload alignment|" "regions|heaps (regions)|5" \
        "caps_object|capability heap object, sizeof(capheap_caps_t)|" \
        "heap_object|- of which the core's heap object (16 region and 8 tag slots)|" \
        "types_table|- of which the type table (8 slots)|" "cache|- of which the selection cache (4 masks)|" \
        "pending|- of which the pending start-up regions (4)|" \
        "control_blocks|control blocks (one per type)|" "control|control blocks, bytes (usable + header)|3380 (TLSF control)" \
        "end_markers|end markers|" "padding|alignment padding|" \
        "total|**total**|**3716**"; do
        IFS='|' read -r key label x <<<"$row"
        echo "| $label | $(v capsmeta.x86_64 "capsmeta.$chip64" "$key") | $(v capsmeta.x86_64moved capsmeta.esp32-moved "$key") | $(v capsmeta.i386 "capsmeta.$chip32" "$key") | $(v capsmeta.cm capsmeta.esp32-moved "$key") | ${x:--} |"
    done
    p=$(v capsmeta.i386 "capsmeta.$chip32" total)
    q=$(v capsmeta.cm capsmeta.esp32-moved total)
    echo "| target: under a third of ESP-IDF's | | | <= 1238: $(meets "$p" 1238) | <= 1238: $(meets "$q" 1238) | |"
    echo
    echo "ESP-IDF's figure (the issue's): 3,716 bytes for the same five heaps, 3,380 of them TLSF"
    echo "control, plus 20-byte heap headers and 36-byte heap records."
    echo
}

report() {
    load
    local t a j k b f n m p q same row key label target ref nf x h
    local failed=()
    for f in "$RAW"/*.rc; do
        [ "$(<"$f")" = 0 ] || failed+=("$(basename "$f" .rc)")
    done
    local git dirty cpu
    git=$(git describe --always --dirty 2>/dev/null || echo unknown)
    dirty=$(git status --porcelain -- src/core src/ports include/capheap/heap.h \
        include/capheap/config.h include/capheap/port.h 2>/dev/null | awk '{ print $2 }' |
        paste -sd ' ' -)
    cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
    local settings
    settings=$(cat "$RAW/settings" 2>/dev/null || echo "JOBS=? QOPS=$QOPS PTOPS=$PTOPS")

    echo "# capheap benchmark results"
    echo
    echo "Generated by \`bench/run.sh\` (\`make bench\`) on $(cat "$RAW/date" 2>/dev/null),"
    echo "measurements took $(cat "$RAW/elapsed" 2>/dev/null) s with $settings."
    echo "Source: \`$git\`; files of the core modified in the working tree: ${dirty:-none}."
    echo "Host: $(uname -m), ${cpu:-unknown CPU}, $(nproc) cores (a shared VM)."
    echo "Tools: $(line1 gcc --version); $(line1 valgrind --version); $(line1 qemu-x86_64 --version);"
    echo "$(line1 arm-none-eabi-gcc --version)."
    echo
    echo "<details><summary>Exact commands, in order (&lt;trace&gt;: ${TRACES[*]}; &lt;alloc&gt;: ${ALLOCS[*]})</summary>"
    echo
    echo '```'
    cat "$COMMANDS"
    echo '```'
    echo "</details>"
    echo
    if [ ${#failed[@]} -gt 0 ]; then
        echo "**Failed jobs (their figures read n/a):** ${failed[*]}; see \`$RAW/<job>.err\`."
        echo
    fi

    # -- summary
    local st64 st32 max64 max32 ramp power
    st64=$(div "${V[cg.steady.capheap|cg.total|#1]:-}" "$(calls cg.steady.capheap replay.steady.capheap)")
    meanto st32 q32.steady.capheap all
    max64=$(maxof max q64.steady.capheap q64.small.capheap q64.ramp.capheap q64.power.capheap)
    max32=$(maxof max q32.steady.capheap q32.small.capheap q32.ramp.capheap q32.power.capheap)
    ramp=$(v fit.x86_64 fit.ramp '#3')
    power=$(v fit.x86_64 fit.power '#3')
    echo "## Summary against the targets"
    echo
    echo "capheap's core, one region, one tag, no lock (port pthread with lock NULL unless a row"
    echo "says \"port none\"), gcc -O2. Targets are the issue's."
    echo
    echo "| Figure | Target | Measured | Met |"
    echo "|---|---|---|---|"
    echo "| steady state, instructions/op, x86-64 (callgrind, whole trace) | <= 70 | $st64 | $(meets "$st64" 70) |"
    echo "| steady state, instructions/op, i386 (qemu log, first $QOPS ops) | <= 100 | $st32 | $(meets "$st32" 100) |"
    echo "| largest single alloc or free, x86-64 (first $QOPS ops of each trace) | <= 250 | $max64 | $(meets "$max64" 250) |"
    echo "| largest single alloc or free, i386 (first $QOPS ops of each trace) | <= 250 | $max32 | $(meets "$max32" 250) |"
    echo "| smallest arena / peak live, ramp, x86-64 | <= 1.23 (TLSF) | $ramp | $(meets "$ramp" 1.23) |"
    echo "| smallest arena / peak live, power law, x86-64 | <= 1.33 (TLSF) | $power | $(meets "$power" 1.33) |"
    for row in "header|per-block overhead, bytes|4" "consumed.1|bytes taken by a 1-byte allocation|16" \
        "control_total|control bytes of a 64 KiB heap|256"; do
        IFS='|' read -r key label target <<<"$row"
        p=$(v space.i386 "space.$key" '#1')
        q=$(v space.cm "space.$key" '#1')
        echo "| $label, 32-bit: i386 / Cortex-M4 | <= $target | $p / $q | $(meets "$p" "$target") / $(meets "$q" "$target") |"
    done
    local chip64=esp32 chip32=esp32 tok
    for tok in $(cat "$RAW/capschips" 2>/dev/null); do
        case $tok in chip64=*) chip64=${tok#*=} ;; chip32=*) chip32=${tok#*=} ;; esac
    done
    local cadd cmean qadd qmean madd mmean
    capscg none "$chip64" default
    cadd=${R[add]}
    capsmean cmean capscg none "$chip64"
    capsq i386 "$chip32" default
    qadd=${R[add]}
    capsmean qmean capsq i386 "$chip32"
    capsq cm esp32-moved default
    madd=${R[add]}
    capsmean mmean capsq cm esp32-moved
    echo "| capability layer: instructions it adds per op, DEFAULT, x86-64 port none (callgrind) | <= 15 | $cadd | $(smeets "$cadd" 15) |"
    echo "| capability layer: instructions it adds per op, mean of the six masks, x86-64 port none | <= 15 | $cmean | $(smeets "$cmean" 15) |"
    echo "| capability layer: adds per op, DEFAULT / mean of the masks, i386 ($chip32, first $CQOPS ops) | <= 15 | $qadd / $qmean | $(smeets "$qadd" 15) / $(smeets "$qmean" 15) |"
    echo "| capability layer: adds per op, DEFAULT / mean of the masks, Cortex-M4 (esp32-moved, first $CQOPS ops) | <= 15 | $madd / $mmean | $(smeets "$madd" 15) / $(smeets "$mmean" 15) |"
    p=$(v capsmeta.i386 "capsmeta.$chip32" total)
    q=$(v capsmeta.cm capsmeta.esp32-moved total)
    x=$(v capsmeta.x86_64 "capsmeta.$chip64" total)
    echo "| control bytes of the ESP32's five boot heaps, 32-bit: i386 / Cortex-M4 (x86-64: $x) | <= 1238 (ESP-IDF 3716 / 3) | $p / $q | $(meets "$p" 1238) / $(meets "$q" 1238) |"
    echo
    echo "Realloc is left out of the largest-operation rows: a moving realloc copies the block."
    echo "Peers, for reference (the issue's figures, x86-64 instructions/op): TLSF ~120, Zephyr"
    echo "113, o1heap 68, glibc 70. glibc as measured here is in the tables below."
    echo

    # -- traces
    echo "## Traces"
    echo
    echo "Generated in C from fixed seeds (splitmix64, integer arithmetic only). The last column"
    echo "compares a hash of the operations generated by the i386 and Cortex-M4 builds with the"
    echo "x86-64 build's. The qemu runs replay the x86-64 build's trace from a file, so that the"
    echo "generation does not flood the instruction log."
    echo
    echo "| Trace | Operations (alloc / free / realloc) | Peak live bytes | Peak live blocks | Nominal arena | Same on i386 / Cortex-M4 |"
    echo "|---|---|---|---|---|---|"
    for t in "${TRACES[@]}"; do
        j="info.x86_64|trace.$t"
        h=${V[$j|hash]:-}
        p=n/a
        ok info.i386 && { [ "${V[info.i386|trace.$t|hash]:-}" = "$h" ] && p=yes || p="**no**"; }
        q=n/a
        ok info.cm && { [ "${V[info.cm|trace.$t|hash]:-}" = "$h" ] && q=yes || q="**no**"; }
        echo "| $t | ${V[$j|ops]:-n/a} (${V[$j|alloc]:-} / ${V[$j|free]:-} / ${V[$j|realloc]:-}) | ${V[$j|peak_live_bytes]:-n/a} | ${V[$j|peak_live_blocks]:-n/a} | ${V[$j|arena]:-n/a} | $p / $q |"
    done
    echo
    for t in "${TRACES[@]}"; do
        echo "- **$t**: ${V[info.x86_64|title.$t|*]:-}"
    done
    echo
    echo "capheap replays each trace on one region of the nominal arena; glibc is the process's"
    echo "malloc, free and realloc (after one malloc/free pair, so that its set-up is not in the"
    echo "first operation). A failed allocation is counted and later operations on its id are"
    echo "skipped; the tables say when any failed."
    echo

    # -- callgrind
    echo "## 1. Instructions per operation (callgrind, x86-64, whole traces)"
    echo
    echo "\`valgrind --tool=callgrind --collect-atstart=no --toggle-collect=<entry point>\`: only the"
    echo "allocator's entry points are collected (capheap_heap_alloc/free/realloc; glibc's malloc,"
    echo "free, realloc), callees included, and \`--zero-before/--dump-after=bench_drv_replay\` keep"
    echo "it to the replay. The driver's loop, adapters and writes to the blocks are not counted."
    echo "Per-kind means are callgrind_annotate's inclusive cost of each entry point over its calls."
    echo
    if ran cg.steady.capheap; then
        echo "| Trace | Allocator | Calls | Instructions | Mean / op | alloc | free | realloc |"
        echo "|---|---|---|---|---|---|---|---|"
        for t in "${TRACES[@]}"; do
            for row in "cg.$t.capheap|capheap|capheap" "cg.$t.glibc|glibc|glibc" \
                "cgnone.$t.capheap|capheap|capheap (port none)"; do
                IFS='|' read -r j a label <<<"$row"
                ran "$j" || continue
                n=$(calls "$j" "replay.$t.$a")
                ok "$j" || n=n/a
                divto m "${V[$j|cg.total|#1]:-}" "$n"
                x="| $t | $label | $n | ${V[$j|cg.total|#1]:-n/a} | **$m**"
                k=0
                for b in alloc free realloc; do
                    k=$((k + 1))
                    divto p "${V[$j|cg.fn.$k|#1]:-}" "${V[$j|replay.$t.$a|$b]:-}"
                    [ "${V[$j|replay.$t.$a|$b]:-}" = 0 ] && p=-
                    x+=" | $p"
                done
                echo "$x |"
            done
        done
        echo
        echo "Target: steady state <= 70 instructions/op. Peers: TLSF ~120, Zephyr 113, o1heap 68,"
        echo "glibc 70. \"port none\" is the same core built with CAPHEAP_PORT=none, where taking the"
        echo "(absent) lock compiles away; the other rows test the NULL lock pointer on every call."
    else
        echo "Not measured: valgrind or callgrind_annotate is missing."
    fi
    echo
    echo "i386: not measured with callgrind. This kernel does not execute 32-bit binaries (\`Exec"
    echo "format error\`), so valgrind's x86 tool cannot start; the i386 build runs only under"
    echo "qemu-i386. Section 2 has exact i386 counts from qemu's instruction log instead."
    echo

    # -- distributions
    echo "## 2. Instructions of single operations (first $QOPS operations of each trace)"
    echo
    echo "Perf counters are not available on this VM. Each allocator call is bracketed by two"
    echo "noinline marker functions. The driver (markers, loop, adapters) is in a section of its"
    echo "own, \`bench_drv\`, and its functions are named \`bench_drv_*\`. Counted: every instruction"
    echo "executed between the markers outside the driver, that is the entry point through its"
    echo "return with callees, which is what callgrind's inclusive cost counts. Two counters:"
    echo
    echo "- \`capheap-bench opcount\` (bench/opcount.c), ptrace: int3 on the begin markers,"
    echo "  PTRACE_CONT to one, then PTRACE_SINGLESTEP to the end marker. Single-stepping costs"
    echo "  ~40 us per instruction on this VM, so it covers the first $PTOPS operations only."
    echo "- \`capheap-qcount\` (bench/qcount.c), qemu-user's \`-d in_asm,exec,nochain\` log: every"
    echo "  translation block executed, with its instruction count from its disassembly. It covers"
    echo "  the first $QOPS operations on x86-64 (qemu-x86_64), i386 (qemu-i386) and Cortex-M4"
    echo "  Thumb-2 (qemu-arm), and is checked against ptrace here:"
    echo
    echo "| Trace | Allocator | alloc sum / max: ptrace | qemu | free sum / max: ptrace | qemu | identical | realloc sum: ptrace / qemu |"
    echo "|---|---|---|---|---|---|---|---|"
    for t in "${TRACES[@]}"; do
        for a in "${ALLOCS[@]}"; do
            p=pt.$t.$a
            q=qv.$t.$a
            same=n/a
            if ok "$p" && ok "$q"; then
                same=yes
                for k in alloc free; do
                    [ "${V[$p|steps.$k|*]:-}" = "${V[$q|steps.$k|*]:-}" ] || same="**no**"
                done
            fi
            x="| $t | $a"
            for k in alloc free; do
                x+=" | ${V[$p|steps.$k|sum]:-n/a} / ${V[$p|steps.$k|max]:-n/a}"
                x+=" | ${V[$q|steps.$k|sum]:-n/a} / ${V[$q|steps.$k|max]:-n/a}"
            done
            echo "$x | $same | ${V[$p|steps.realloc|sum]:-n/a} / ${V[$q|steps.realloc|sum]:-n/a} |"
        done
    done
    echo
    echo "\"identical\": calls, sum, p50, p99, p99.9 and max of alloc and of free agree. realloc"
    echo "may not: it calls glibc's memcpy, whose variant glibc picks from the CPU's features,"
    echo "and qemu's CPU is not the host's. The x86-64 and i386 tables below have the same caveat"
    echo "for realloc."
    echo
    for row in "q64|x86-64 (qemu-x86_64)" "q32|i386 (qemu-i386)" \
        "qcm|Cortex-M4, Thumb-2 (qemu-arm; capheap only, there is no glibc)"; do
        IFS='|' read -r b label <<<"$row"
        echo "### $label"
        echo
        echo "| Trace | Allocator | Kind | Calls | Mean | p50 | p99 | p99.9 | Max |"
        echo "|---|---|---|---|---|---|---|---|---|"
        for t in "${TRACES[@]}"; do
            for a in "${ALLOCS[@]}"; do
                j=$b.$t.$a
                ran "$j" || continue
                if ! ok "$j"; then
                    echo "| $t | $a | all | failed | n/a | n/a | n/a | n/a | n/a |"
                    continue
                fi
                for k in all alloc free realloc; do
                    n=${V[$j|steps.$k|n]:-n/a}
                    [ "$k" != all ] && [ "$n" = 0 ] && continue
                    meanto m "$j" "$k"
                    [ "$k" = all ] && m="**$m**"
                    p="$j|steps.$k"
                    echo "| $t | $a | $k | $n | $m | ${V[$p|p50]:-n/a} | ${V[$p|p99]:-n/a} | ${V[$p|p999]:-n/a} | ${V[$p|max]:-n/a} |"
                done
            done
        done
        echo
    done
    echo "Targets: no single operation above 250 instructions; steady state <= 100/op on i386."
    echo "Instruction counts are not cycles, least of all on the Cortex-M4 (qemu counts an IT"
    echo "instruction, and the instructions it skips)."
    echo

    # -- latency
    echo "## 3. Latency (clock_gettime, x86-64 native; noisy)"
    echo
    echo "Nanoseconds per call: CLOCK_MONOTONIC read before and after each call, after one untimed"
    echo "pass over the trace. The timer's own cost (~30 ns, in steps of ~10 ns) is included; the"
    echo "null allocator (empty functions) shows it, so p50 says little; the mean (of all but"
    echo "the slowest 0.1 % of calls) minus the null allocator's is the better estimate. The"
    echo "maxima are preemptions. On a shared VM all of these move from run to run: compare"
    echo "instruction counts, not these."
    echo
    echo "| Trace | Allocator | Mean (lowest 99.9 %) | p50 | p99 | p99.9 | Max |"
    echo "|---|---|---|---|---|---|---|"
    for t in "${TRACES[@]}"; do
        for a in null capheap glibc; do
            j="lat.$t|ns.$t.$a.all"
            divto m "${V[$j|tsum]:-}" "${V[$j|tn]:-}"
            echo "| $t | $a | $m | ${V[$j|p50]:-n/a} | ${V[$j|p99]:-n/a} | ${V[$j|p999]:-n/a} | ${V[$j|max]:-n/a} |"
        done
    done
    echo

    # -- fit
    echo "## 4. Smallest arena / peak live bytes (capheap)"
    echo
    echo "Peak live bytes: the largest sum of requested sizes live at once. Smallest arena: the"
    echo "region size given to add_region (control block included), found by bisection to 8 bytes"
    echo "between the peak live bytes and the nominal arena (doubled until the trace completes),"
    echo "on which the whole trace completes with no failed allocation. Failure is not strictly"
    echo "monotonic in the arena size: the size found completes and 8 bytes less does not."
    echo "glibc: not applicable (n/a); it grows its heap from the kernel."
    echo
    echo "| Trace | Peak live | x86-64 arena | ratio | i386 arena | ratio | Cortex-M4 arena | ratio | Reference |"
    echo "|---|---|---|---|---|---|---|---|---|"
    nf=
    for t in "${TRACES[@]}"; do
        ref=-
        [ "$t" = ramp ] && ref="TLSF ~1.23"
        [ "$t" = power ] && ref="TLSF ~1.33"
        x="| $t | ${V[fit.x86_64|fit.$t|#2]:-n/a}"
        for b in x86_64 i386 cm; do
            x+=" | ${V[fit.$b|fit.$t|#1]:-n/a} | **${V[fit.$b|fit.$t|#3]:-n/a}**"
            p=${V[fit.$b|fit.$t|#4]:-}
            [ -n "$p" ] && [ "$p" != 0 ] && nf+=" $t on $b: $p;"
        done
        echo "$x | $ref |"
    done
    echo
    echo "Failed allocations at the nominal arena:${nf:- none}."
    echo

    # -- space
    echo "## 5. Space"
    echo
    echo "Through the public API only. Bytes taken by an allocation: 64 allocations of that size in"
    echo "a fresh 64 KiB heap, the drop in free bytes divided by 64 (checked against the distance"
    echo "between consecutive blocks). Per-block overhead: the smallest (bytes taken - bytes"
    echo "requested) over requests of 1..256 bytes, i.e. the header. Control bytes of a 64 KiB heap:"
    echo "the heap object, CAPHEAP_HEAP_STORAGE_SIZE(1, 1) (4 words, 3 per region slot, 1 per tag"
    echo "slot), plus what the region loses before its one free block, region size - free block"
    echo "size (the free block's own header is left out: it is per-block overhead). That loss is"
    echo "the padding to the first block boundary, the tag's control block (counters, bitmaps and"
    echo "one list head per size class that fits the region) and the end marker."
    echo
    echo "Cortex-M4: arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb, capheap's default configuration for"
    echo "that target (alignment 8, the ARM EABI's; 4-byte words), run under qemu-arm. A gcc -m32"
    echo "build cannot use -DCAPHEAP_ALIGNMENT=8: max_align_t has 16-byte alignment on i386."
    echo
    echo "| Bytes | x86-64 | i386 | Cortex-M4 | Target (32-bit) |"
    echo "|---|---|---|---|---|"
    for row in "alignment|payload alignment|" "pointer|word|" "header|per-block overhead (header)|4" \
        "consumed.1|taken by a 1-byte allocation|<= 16" "consumed.8|taken by an 8-byte allocation|" \
        "consumed.32|taken by a 32-byte allocation|" "heap_object|heap object, 1 region and 1 tag|" \
        "lead_pad|region: padding before the first block|" "control_block|region: control block|" \
        "end_marker_and_tail|region: end marker and padding after it|" \
        "region_loss|region size - free block size|" \
        "control_total|**control total: heap object + region loss**|<= 256" \
        "usable_after_init|usable bytes right after init (of 65536)|"; do
        IFS='|' read -r key label target <<<"$row"
        x="| $label"
        for b in x86_64 i386 cm; do
            x+=" | ${V[space.$b|space.$key|#1]:-n/a}"
        done
        echo "$x | ${target:--} |"
    done
    echo

    # -- the capability layer
    capsreport "$chip64" "$chip32"

    # -- validation
    echo "## Validation"
    echo
    echo "\`capheap-bench check\` replays every trace on capheap at its nominal arena, fills each"
    echo "block with a pattern and verifies it at free and realloc, checks alignment, usable size"
    echo "and that blocks lie in the region, runs capheap_heap_check() every 1024 operations,"
    echo "compares allocated_blocks with the live count, and checks that the drained heap equals"
    echo "the fresh one."
    echo
    echo '```'
    for b in x86_64 i386 cm; do
        [ -f "$RAW/check.$b.out" ] && sed "s/^/$b: /" "$RAW/check.$b.out"
    done
    echo '```'
}

if [ "${1:-}" != --report ]; then
    measure
fi
[ -f "$COMMANDS" ] || { echo "run.sh: no measurements in $RAW; run without --report" >&2; exit 1; }
mkdir -p bench/results
report >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
cat "$OUT"
note "wrote $OUT"
for f in "$RAW"/*.rc; do
    [ "$(<"$f")" = 0 ] || { echo "run.sh: some jobs failed (see the report)" >&2; exit 1; }
done
