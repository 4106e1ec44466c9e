# bench/charts/openloop.gp -- open loop: p50 and p99 latency against the
# offered rate, one colour per stack, both axes log scale.
# gnuplot -e "files='a.dat b.dat'; titles='axum fastapi'; outfile='...';
#             goal=10; subtitle='...'"
# each file: rate p50 p90 p99 p99.9 (ms; "-" = none), one line per rate.
set terminal pngcairo size 1100,700 font "sans,10"
set output outfile
set title "GET /users, open loop: latency against offered load (lower is better)\n{/*0.85 ".subtitle."}"
set datafile missing "-"
set logscale x
set logscale y
set xlabel "offered rate (requests per second, log scale)"
set ylabel "latency (ms, log scale)"
set grid xtics ytics mxtics mytics lc rgb "#dddddd"
set key outside right top
set rmargin 26
colours = "#4a7ab5 #e39b3b #2e8b57 #c0392b #8e44ad #7f8c8d"
goal_line = sprintf("p99 goal (%g ms)", goal)
plot for [i=1:words(files)] word(files, i) using 1:4 with linespoints lw 2 pt 7 \
         lc rgb word(colours, (i - 1) % 6 + 1) title word(titles, i)." p99", \
     for [i=1:words(files)] word(files, i) using 1:2 with linespoints lw 1 dt 2 pt 6 \
         lc rgb word(colours, (i - 1) % 6 + 1) title word(titles, i)." p50", \
     goal with lines dt 3 lw 1 lc rgb "#555555" title goal_line
