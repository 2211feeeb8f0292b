# cli_tiny.el - a tiny weighted graph with non-dense ids for the grprof exec
# CLI tests (tests/cli/exec.sh checks hand-computed answers on it).
# 9 nodes: 3 7 12 40 100 205 300 500 1000 (n-1 = 8, so degree
# centralities are exact); 10 directed edges "src dst weight".
# Weak components: {3,7,12,40,1000}, {100,205,300}, {500}.
3 7 2.5
7 12 1
3 12 4
12 40 0.5
40 7 1
100 205 3
205 100 1
300 205 2
500 500 1
1000 3 1
