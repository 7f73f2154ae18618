#!/usr/bin/env python3
"""A git history the size of git/git's, for cold and incremental history-scan timings.

    python3 benches/big_history.py OUT [--commits 85000] [--files 4500] [--seed 7]

git/git itself cannot be fetched here (no network), so this builds a stand-in of the same
shape with `git fast-import`: about 85,000 commits, a merge of a six-commit topic branch every
eighth commit, 4,500 source files three directories deep that grow and shrink a few lines a
commit (about 200,000 blobs), then `git repack -adf --depth=50` so that blobs sit in delta chains
as in a real clone. A few dozen credentials are planted along the way, so a scan has findings.
Deterministic for a given seed. Not part of CI: generation takes a few minutes.
"""

import argparse
import os
import random
import subprocess
import sys

WORDS = (
    "buffer count index offset length value state entry object commit tree path name flags "
    "result status option config parse write read update refresh revision branch remote "
    "packet stream header record cache table list node item first last next prev limit"
).split()
TYPES = ("int", "size_t", "unsigned", "const char *", "struct strbuf *", "void")


def code_line(rng):
    """One line of plausible C: no word that a secret rule keys on."""
    a, b, c = rng.choice(WORDS), rng.choice(WORDS), rng.choice(WORDS)
    kind = rng.randrange(6)
    if kind == 0:
        return f"\t{rng.choice(TYPES)} {a}_{b} = {c}_{rng.randrange(64)};"
    if kind == 1:
        return f"\tif ({a}->{b} < {rng.randrange(1000)})\n\t\treturn {c}_{a}({b});"
    if kind == 2:
        return f"\t/* {a} the {b} before the {c} is written */"
    if kind == 3:
        return f"\t{a}_{b}(&{c}, {rng.randrange(16)});"
    if kind == 4:
        return f"static {rng.choice(TYPES)} {a}_{b}_{c}(void)\n{{\n\treturn {rng.randrange(99)};\n}}"
    return ""


def secret_line(rng, n):
    """A credential that named rules find (AWS key pairs) or the generic rule does."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    key_id = "AKIA" + "".join(rng.choice(alphabet) for _ in range(16))
    body = "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
                   for _ in range(40))
    if n % 2:
        return f'aws_access_key_id = {key_id}\naws_secret_access_key = {body}'
    return f'\tconst char *db_password = "{body[:18]}";'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--commits", type=int, default=85000)
    ap.add_argument("--files", type=int, default=4500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--file-lines", default="40,200",
                    help="MIN,MAX lines of a file (git/git's .c files run to a few thousand)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    low, high = (int(n) for n in args.file_lines.split(","))
    if os.path.exists(args.out):
        sys.exit(f"big_history.py: {args.out} exists; remove it first")
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", "init", "-q", "-b", "main", args.out], check=True, env=env)

    paths = []
    for i in range(args.files):
        top = ("builtin", "t", "compat", "contrib", "Documentation", "xdiff", "refs", "reftable")
        paths.append(f"{top[i % len(top)]}/{WORDS[i % 47 % len(WORDS)]}{i % 13}/{WORDS[i % len(WORDS)]}_{i}.c")
    files = {p: [code_line(rng) for _ in range(rng.randrange(low, high))] for p in paths}

    fi = subprocess.Popen(["git", "-C", args.out, "fast-import", "--quiet", "--depth=50"],
                          stdin=subprocess.PIPE, env=env)
    out = fi.stdin
    mark = [0]
    clock = [1_100_000_000]

    def blob(text):
        mark[0] += 1
        data = text.encode()
        out.write(b"blob\nmark :%d\ndata %d\n" % (mark[0], len(data)) + data + b"\n")
        return mark[0]

    def commit(ref, message, changes, parent=None, merge=None):
        mark[0] += 1
        clock[0] += 600
        msg = message.encode()
        head = b"commit %s\nmark :%d\nauthor A U Thor <author@example.invalid> %d +0000\n" % (
            ref.encode(), mark[0], clock[0])
        head += b"committer C O Mitter <committer@example.invalid> %d +0000\n" % clock[0]
        head += b"data %d\n%s\n" % (len(msg), msg)
        if parent:
            head += b"from :%d\n" % parent
        if merge:
            head += b"merge :%d\n" % merge
        for path, m in changes:
            head += b"M 100644 :%d %s\n" % (m, path.encode())
        out.write(head)
        return mark[0]

    def edit(path, n):
        lines = files[path]
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(len(lines) + 1)
            if len(lines) > high + 20 or (len(lines) > 20 and rng.random() < 0.4):
                del lines[min(at, len(lines) - 1)]
            else:
                lines.insert(at, secret_line(rng, n) if n % 2000 == 1999 else code_line(rng))
        return blob("\n".join(lines) + "\n")

    root = commit("refs/heads/main", "initial import", [(p, blob("\n".join(l) + "\n"))
                                                      for p, l in files.items()])
    main_tip, made = root, 1
    while made < args.commits:
        # One commit on main, six on a topic branch forked from the commit before it, a merge.
        fork = main_tip
        p = rng.choice(paths)
        main_tip = commit("refs/heads/main", f"main: tweak {p}", [(p, edit(p, made))], main_tip)
        made += 1
        topic = fork
        touched = {}
        for _ in range(6):
            changes = []
            for p in rng.sample(paths, rng.randrange(2, 5)):
                m = edit(p, made)
                touched[p] = m
                changes.append((p, m))
            topic = commit("refs/heads/topic", f"topic: change {len(changes)} files", changes, topic)
            made += 1
        main_tip = commit("refs/heads/main", "Merge branch 'topic'", list(touched.items()),
                          main_tip, topic)
        made += 1
    out.close()
    if fi.wait() != 0:
        sys.exit("big_history.py: git fast-import failed")
    subprocess.run(["git", "-C", args.out, "branch", "-D", "-q", "topic"], check=True, env=env)
    subprocess.run(["git", "-C", args.out, "repack", "-adfq", "--depth=50", "--window=10"],
                   check=True, env=env)
    subprocess.run(["git", "-C", args.out, "prune"], check=True, env=env)
    print(f"{args.out}: {made} commits")


if __name__ == "__main__":
    main()
