# weighted.el: ids are sparse (10, 20, 30, 1000) and weights vary in form
10 20 0.5
20 30 -2.25
30 10 1e3
1000 10 +7
10 1000 0.1
20 20 3.0E-2
