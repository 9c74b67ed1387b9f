#!/usr/bin/env python3
"""Checks avtune's #include graph against the allowed area dependencies in docs/architecture.md.

Fails (exit 1) when a file includes a header of an area its own area may not depend on, when a
folder under include/avtune/ or src/ is no area of the table, when the table's areas depend on
each other in a cycle, or when headers include each other in a cycle. Usage: check_includes.py ROOT
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"avtune/([a-z_]+)/([^"]+)"', re.M)


def allowed_table(doc):
    """Rows '| `area` | `dep`, `dep` |' of the table under '## Allowed dependencies'."""
    text = open(doc, encoding="utf-8").read()
    m = re.search(r"^## Allowed dependencies\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not m:
        sys.exit(f"{doc}: expected a '## Allowed dependencies' section, got none")
    table = {}
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        area = cells[0].strip("`")
        table[area] = set(re.findall(r"`([a-z_]+)`", cells[1]))
    if not table:
        sys.exit(f"{doc}: the allowed-dependencies table has no rows")
    return table


def find_cycle(graph):
    """One cycle of `graph` (node -> set of nodes) as a list, or None."""
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                c = visit(d)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def public_headers(root):
    base = os.path.join(root, "include", "avtune")
    return {f"{a}/{h}" for a in os.listdir(base) if os.path.isdir(os.path.join(base, a))
            for h in os.listdir(os.path.join(base, a)) if h.endswith(".h")}


def main(root):
    table = allowed_table(os.path.join(root, "docs", "architecture.md"))
    problems = []
    for area, deps in table.items():
        for d in deps:
            if d not in table:
                problems.append(f"docs/architecture.md: {area} may include '{d}', which is no area of the table")
    cycle = find_cycle({a: d - {a} for a, d in table.items()})
    if cycle:
        problems.append("docs/architecture.md: the allowed dependencies form a cycle: " + " -> ".join(cycle))

    header_graph = {}
    files = 0
    for top in ("include/avtune", "src"):
        base = os.path.join(root, top)
        for area in sorted(os.listdir(base)):
            folder = os.path.join(base, area)
            if not os.path.isdir(folder):
                continue
            if area not in table:
                problems.append(f"{top}/{area}/: expected an area listed in docs/architecture.md, got an unlisted folder")
                continue
            for dirpath, _, names in os.walk(folder):
                for name in sorted(names):
                    if not name.endswith((".h", ".cpp")):
                        continue
                    path = os.path.join(dirpath, name)
                    rel = os.path.relpath(path, root)
                    files += 1
                    text = open(path, encoding="utf-8").read()
                    for lineno, line in enumerate(text.splitlines(), 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        dep = m.group(1)
                        if dep != area and dep not in table[area]:
                            problems.append(f"{rel}:{lineno}: {area} may not include {dep} "
                                            f"(allowed: {', '.join(sorted(table[area])) or 'nothing'}): {line.strip()}")
                        if top == "include/avtune":
                            header_graph.setdefault(f"{area}/{name}", set()).add(f"{dep}/{m.group(2)}")
    cycle = find_cycle(header_graph)
    if cycle:
        problems.append("headers include each other in a cycle: " + " -> ".join(cycle))
    # The umbrella header names every public header.
    umbrella = os.path.join(root, "include", "avtune", "avtune.h")
    if not os.path.exists(umbrella):
        problems.append("include/avtune/avtune.h: expected the umbrella header, got no file")
    else:
        named = set(f"{a}/{h}" for a, h in INCLUDE.findall(open(umbrella, encoding="utf-8").read()))
        for header in sorted(header_graph.keys() | public_headers(root)):
            if header not in named:
                problems.append(f"include/avtune/avtune.h: expected it to include avtune/{header}, got no such line")
    for p in problems:
        print(p)
    print(f"check_includes: {files} files, {len(table)} areas, {len(problems)} problem(s)")
    return 1 if problems else 0


def self_test():
    """The check must fail on a violation and a cycle, and pass on a clean tree."""
    import tempfile

    def tree(files):
        d = tempfile.mkdtemp()
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            open(os.path.join(d, rel), "w", encoding="utf-8").write(text)
        return d

    doc = "## Allowed dependencies\n| area | may include |\n|---|---|\n| `low` | |\n| `high` | `low` |\n"
    clean = {"docs/architecture.md": doc, "include/avtune/low/a.h": "#pragma once\n",
             "include/avtune/avtune.h": '#include "avtune/low/a.h"\n#include "avtune/high/b.h"\n#include "avtune/high/c.h"\n',
             "include/avtune/high/c.h": "#pragma once\n",
             "include/avtune/high/b.h": '#include "avtune/low/a.h"\n', "src/high/b.cpp": '#include "avtune/high/b.h"\n'}
    upward = dict(clean)
    upward["src/low/a.cpp"] = '#include "avtune/high/b.h"\n'
    unlisted = dict(clean)
    unlisted["src/other/c.cpp"] = "\n"
    cyclic = dict(clean)
    cyclic["include/avtune/high/c.h"] = '#include "avtune/high/b.h"\n'
    cyclic["include/avtune/high/b.h"] = '#include "avtune/high/c.h"\n'

    unnamed = dict(clean)
    unnamed["include/avtune/high/d.h"] = "#pragma once\n"
    results = {name: main(tree(t)) for name, t in
               (("clean", clean), ("upward", upward), ("unlisted", unlisted), ("cyclic", cyclic), ("unnamed", unnamed))}
    ok = results == {"clean": 0, "upward": 1, "unlisted": 1, "cyclic": 1, "unnamed": 1}
    print(f"self-test: {results} -> {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    if len(sys.argv) != 2:
        print("usage: check_includes.py REPOSITORY_ROOT", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
