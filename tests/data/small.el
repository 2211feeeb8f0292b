# small.el - a SNAP-style edge list for the loader tests.
# Nodes: 0..4, six edges; comments, blank lines and odd spacing below.
% a percent comment

0 1
0	2
  1 2
2,3
  # an indented comment
3 , 0
4 4
