# bad_token.el: line 4 has a bad target id
0 1
1 2
2 3x
3 0
