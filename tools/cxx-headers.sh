#!/usr/bin/env bash
# Every public header compiled alone as C++ (one generated translation unit
# per header), with the diagnostics options off and on, since their
# declarations sit behind #if. Run by `make test` (tests/CMakeLists.txt) once
# per compiler and standard:
#   tools/cxx-headers.sh <c++ compiler> <standard, e.g. c++11> [scratch dir]
set -euo pipefail
cd "$(dirname "$0")/.."

cxx=${1:?usage: $0 <c++ compiler> <standard> [scratch dir]}
std=${2:?usage: $0 <c++ compiler> <standard> [scratch dir]}
dir=${3:-$(mktemp -d)}
mkdir -p "$dir"
if ! command -v "$cxx" >/dev/null; then
  echo "$cxx is missing (tools/setup-deps.sh base installs it)" >&2
  exit 1
fi

configs=("" "-DCAPHEAP_HOOKS=1 -DCAPHEAP_TRACE=1 -DCAPHEAP_OWNERS=1 -DCAPHEAP_POISONING=2")
headers=(include/capheap/*.h include/compat/*.h)
failed=0
checked=0
for h in "${headers[@]}"; do
  # Included the way an application does: <capheap/x.h>, <esp_heap_caps.h>.
  case $h in
    include/capheap/*) inc=capheap/$(basename "$h") ;;
    *) inc=$(basename "$h") ;;
  esac
  tu="$dir/$(basename "$h" .h).cpp"
  printf '#include <%s>\n#include <%s> /* the guard holds */\n' "$inc" "$inc" >"$tu"
  for cfg in "${configs[@]}"; do
    # shellcheck disable=SC2086
    if ! "$cxx" -std="$std" -Wall -Wextra -Werror -pedantic $cfg \
      -Iinclude -Iinclude/compat -fsyntax-only "$tu" 2>"$dir/err"; then
      echo "FAIL: $inc as $std with $cxx ${cfg:-(default options)}:"
      head -n 20 "$dir/err"
      failed=$((failed + 1))
    fi
    checked=$((checked + 1))
  done
done
echo "$cxx -std=$std: $((checked - failed)) of $checked header checks passed (${#headers[@]} headers)"
[ "$failed" -eq 0 ]
