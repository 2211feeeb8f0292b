# cli_bad.el - a malformed edge list: line 5 has a non-numeric id
1 2
2 3
3 1
4 x
5 6
