#!/usr/bin/env python3
"""Mutation testing: apply each mutant of tools/mutation/mutants.txt, one at a
time, to a scratch copy of the tree, build it, run the fast tests and print a
table of which test killed it.

The working tree is never modified: the tree is copied once under the work
directory (default $TMPDIR/capheap-mutation) and built there; each mutant
edits one file of the copy, and the file is restored before the next one, so
only that object (and the links) rebuild.

  tools/mutation/run.py [--only ID,ID] [--list] [--markdown FILE]
                        [--scale S] [--timeout SEC] [--jobs N] [--workdir DIR]

Exit status: 0 when every non-equivalent mutant is killed and every
equivalent one survives; 1 when one survives (or an "equivalent" one is
killed, so its reason is wrong); 2 when the list itself is broken (a text
that does not occur exactly once, a mutant that does not compile, a failing
baseline).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIST = os.path.join(ROOT, "tools", "mutation", "mutants.txt")
# What a build and the tests need: everything else stays behind.
COPY = ["CMakeLists.txt", "cmake", "include", "src", "tests", "tools"]


class ListError(Exception):
    pass


def unescape(s):
    return s.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


def parse(path):
    """Blocks of `key: value` lines, each starting with `[ID]`; `#` lines and
    blank lines are ignored. `find` and `repl` take \\n for a newline."""
    mutants, cur = [], None
    keys = {"file", "kind", "desc", "find", "repl", "equivalent", "tests",
            "cmd", "scale", "pending"}
    with open(path) as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = re.match(r"^\[([A-Za-z0-9_-]+)\]\s*$", line)
            if m:
                cur = {"id": m.group(1), "line": no}
                mutants.append(cur)
                continue
            m = re.match(r"^([a-z]+):\s?(.*)$", line)
            if not m or cur is None or m.group(1) not in keys:
                raise ListError(f"{path}:{no}: cannot parse: {line!r}")
            cur[m.group(1)] = m.group(2)
    ids = set()
    for mu in mutants:
        for k in ("file", "kind", "desc", "find", "repl"):
            if k not in mu:
                raise ListError(f"{path}:{mu['line']}: [{mu['id']}] has no {k}")
        if mu["id"] in ids:
            raise ListError(f"{path}:{mu['line']}: duplicate id {mu['id']}")
        ids.add(mu["id"])
        mu["find"] = unescape(mu["find"])
        mu["repl"] = unescape(mu["repl"])
    return mutants


def check_list(mutants, root):
    """Every original text must occur exactly once in its file."""
    bad = []
    for mu in mutants:
        path = os.path.join(root, mu["file"])
        try:
            text = open(path).read()
        except OSError as e:
            bad.append(f"[{mu['id']}] {mu['file']}: {e}")
            continue
        n = text.count(mu["find"])
        if n != 1:
            bad.append(f"[{mu['id']}] {mu['file']}: original text found {n} "
                       f"times (must be exactly once): {mu['find']!r}")
        if mu["find"] == mu["repl"]:
            bad.append(f"[{mu['id']}] replacement equals the original")
    if bad:
        raise ListError("mutant list does not match the code:\n  " +
                        "\n  ".join(bad))


def sh(cmd, cwd, env=None, timeout=None):
    """Run @cmd; returns (status, output). status None means timed out."""
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, shell=isinstance(cmd, str),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, start_new_session=True)
        return p.returncode, p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if e.stdout else ""
        return None, out


def prepare(workdir, jobs):
    tree = os.path.join(workdir, "tree")
    build = os.path.join(workdir, "build")
    os.makedirs(tree, exist_ok=True)
    # Sync the copy with the working tree: copy only what differs, so an
    # unchanged file keeps its time stamp and nothing needless rebuilds.
    for top in COPY:
        src = os.path.join(ROOT, top)
        if os.path.isdir(src):
            for dirpath, dirnames, files in os.walk(src):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                rel = os.path.relpath(dirpath, ROOT)
                os.makedirs(os.path.join(tree, rel), exist_ok=True)
                for fn in files:
                    sync_file(os.path.join(dirpath, fn),
                              os.path.join(tree, rel, fn))
        elif os.path.exists(src):
            sync_file(src, os.path.join(tree, top))
    if not os.path.exists(os.path.join(build, "CTestTestfile.cmake")):
        gen = ["-G", "Ninja"] if shutil.which("ninja") else []
        st, out = sh(["cmake", "-S", tree, "-B", build, *gen,
                      "-DCAPHEAP_BUILD_BENCH=OFF"], cwd=workdir)
        if st != 0:
            raise ListError("cmake configure failed:\n" + out[-3000:])
    return tree, build


def sync_file(src, dst):
    data = open(src, "rb").read()
    try:
        if open(dst, "rb").read() == data:
            return
    except OSError:
        pass
    with open(dst, "wb") as f:
        f.write(data)
    shutil.copymode(src, dst)


def build(build_dir, jobs, timeout):
    return sh(["cmake", "--build", build_dir, "-j", str(jobs)], cwd=build_dir,
              timeout=timeout)


def run_tests(mu, build_dir, tree, jobs, scale, timeout):
    """Returns (status, detail): killed/survived/timeout/pending."""
    env = dict(os.environ)
    env["CAPHEAP_TEST_SCALE"] = mu.get("scale", scale)
    if "cmd" in mu:
        # Another command (e.g. a sanitizer build): run in the scratch tree,
        # with $BUILD naming the mutation build.
        env["BUILD"] = build_dir
        env["TREE"] = tree
        st, out = sh(mu["cmd"], cwd=tree, env=env, timeout=timeout)
        if st is None:
            return "timeout", mu["cmd"]
        return ("survived", mu["cmd"]) if st == 0 else ("killed", mu["cmd"])
    cmd = ["ctest", "-j", str(jobs), "--stop-on-failure", "--no-tests=error",
           "--timeout", str(timeout)]
    if "tests" in mu:
        cmd += ["-R", mu["tests"]]
    st, out = sh(cmd, cwd=build_dir, env=env, timeout=timeout)
    if st is None:
        return "timeout", "timeout"
    if "No tests were found" in out:
        return "pending", "no test matches " + mu.get("tests", "")
    if st == 0:
        return "survived", ""
    failed = re.findall(r"^\s*\d+ - (\S+) \((?!Not Run)[^)]*\)", out, re.M)
    m = re.search(r"Test\s+#\d+: (\S+) \.+\*+(Failed|Exception|Timeout)", out)
    name = failed[0] if failed else (m.group(1) if m else "?")
    if "Timeout" in out and not failed:
        return "timeout", name
    return "killed", name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated mutant ids")
    ap.add_argument("--list", action="store_true",
                    help="check the list against the code and print it")
    ap.add_argument("--markdown", help="also write the table here (Markdown)")
    ap.add_argument("--scale", default=os.environ.get("CAPHEAP_TEST_SCALE")
                    or "0.05", help="CAPHEAP_TEST_SCALE for the tests")
    ap.add_argument("--timeout", type=int, default=240,
                    help="seconds a mutant's tests may take (hang = killed)")
    ap.add_argument("--jobs", type=int,
                    default=int(os.environ.get("JOBS") or 2))
    ap.add_argument("--workdir", default=os.path.join(
        os.environ.get("TMPDIR") or tempfile.gettempdir(),
        "capheap-mutation-" + re.sub(r"\W", "_", ROOT)))
    ap.add_argument("--skip-equivalent", action="store_true",
                    help="do not run the mutants marked equivalent")
    args = ap.parse_args()

    try:
        mutants = parse(LIST)
        check_list(mutants, ROOT)
    except ListError as e:
        print(f"mutation: {e}", file=sys.stderr)
        return 2
    if args.only:
        want = set(args.only.split(","))
        unknown = want - {m["id"] for m in mutants}
        if unknown:
            print(f"mutation: unknown ids {sorted(unknown)}", file=sys.stderr)
            return 2
        mutants = [m for m in mutants if m["id"] in want]
    if args.list:
        for mu in mutants:
            eq = f"  [equivalent: {mu['equivalent']}]" if "equivalent" in mu else ""
            print(f"{mu['id']:5} {mu['file']:22} {mu['kind']:14} {mu['desc']}{eq}")
        print(f"{len(mutants)} mutants, each original text found exactly once")
        return 0

    t0 = time.time()
    try:
        tree, bdir = prepare(args.workdir, args.jobs)
    except ListError as e:
        print(f"mutation: {e}", file=sys.stderr)
        return 2
    print(f"mutation: scratch tree {tree}, build {bdir}, "
          f"CAPHEAP_TEST_SCALE={args.scale}", flush=True)
    st, out = build(bdir, args.jobs, 3600)
    if st != 0:
        print("mutation: the unmutated tree does not build:\n" + out[-4000:],
              file=sys.stderr)
        return 2
    base = {"id": "base"}
    status, detail = run_tests(base, bdir, tree, args.jobs, args.scale,
                               args.timeout)
    if status != "survived":
        print(f"mutation: the unmutated tree fails its tests ({detail})",
              file=sys.stderr)
        return 2
    print(f"mutation: baseline builds and passes ({time.time() - t0:.0f} s)",
          flush=True)

    rows, broken = [], []
    for mu in mutants:
        if args.skip_equivalent and "equivalent" in mu:
            rows.append((mu, "equivalent", "not run", 0.0))
            continue
        t1 = time.time()
        if "pending" in mu and "cmd" not in mu and "tests" not in mu:
            # Nothing to run it against yet: listed, not built.
            rows.append((mu, "pending", mu["pending"], 0.0))
            print(f"{mu['id']:5} pending   {mu['pending']}", flush=True)
            continue
        path = os.path.join(tree, mu["file"])
        orig = open(path).read()
        open(path, "w").write(orig.replace(mu["find"], mu["repl"], 1))
        try:
            st, out = build(bdir, args.jobs, 1800)
            if st != 0:
                status, detail = "broken", "does not compile"
                broken.append(mu["id"])
                sys.stderr.write(out[-3000:])
            else:
                status, detail = run_tests(mu, bdir, tree, args.jobs,
                                           args.scale, args.timeout)
        finally:
            open(path, "w").write(orig)
        if status == "pending" and "pending" in mu:
            detail = mu["pending"]
        rows.append((mu, status, detail, time.time() - t1))
        print(f"{mu['id']:5} {status:9} {detail:32} {time.time() - t1:5.0f} s"
              f"  {mu['file']}: {mu['desc']}", flush=True)

    total = time.time() - t0
    table = format_table(rows)
    print("\n" + table)
    verdict = summarize(rows, total)
    print(verdict)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(format_markdown(rows) + "\n" + verdict + "\n")
    if broken:
        return 2
    bad = [r for r in rows if outcome(r) in ("SURVIVED", "WRONG-EQUIVALENT")]
    return 1 if bad else 0


def outcome(row):
    mu, status, detail, _ = row
    if "equivalent" in mu:
        return "equivalent" if status in ("survived", "equivalent") \
            else "WRONG-EQUIVALENT"
    if status in ("killed", "timeout"):
        return "killed"
    if status == "pending":
        return "pending"
    if status == "broken":
        return "BROKEN"
    return "SURVIVED"


def result_text(row):
    mu, status, detail, _ = row
    o = outcome(row)
    if o == "killed":
        return f"killed by {detail}" if status == "killed" else \
            f"killed by timeout ({detail})"
    if o == "equivalent":
        return "equivalent: " + mu["equivalent"]
    if o == "WRONG-EQUIVALENT":
        return f"WRONG-EQUIVALENT: killed by {detail}"
    if o == "pending":
        return "pending: " + detail
    return o


def format_table(rows):
    lines = [f"{'id':5} {'file':20} {'kind':14} result / change"]
    for row in rows:
        mu = row[0]
        lines.append(f"{mu['id']:5} {mu['file'][4:]:20} {mu['kind']:14} "
                     f"{result_text(row)}\n{'':41} {mu['desc']}")
    return "\n".join(lines)


def format_markdown(rows):
    lines = ["| id | file | kind | change | result |",
             "|----|------|------|--------|--------|"]
    for row in rows:
        mu = row[0]
        desc = mu["desc"].replace("|", "\\|")
        res = result_text(row).replace("|", "\\|")
        lines.append(f"| {mu['id']} | {mu['file'][4:]} | {mu['kind']} | "
                     f"{desc} | {res} |")
    return "\n".join(lines)


def summarize(rows, total):
    counts = {}
    for row in rows:
        counts[outcome(row)] = counts.get(outcome(row), 0) + 1
    parts = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    return f"{len(rows)} mutants: {parts}; {total / 60:.1f} min"


if __name__ == "__main__":
    sys.exit(main())
