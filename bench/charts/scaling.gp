# bench/charts/scaling.gp -- c-lighttpd, connection per request: rps and
# p99 against the number of workers.
# gnuplot -e "datafile='...'; outfile='...'; subtitle='...'"
# datafile: workers rps rps_min rps_max p99 p99_min p99_max
set terminal pngcairo size 1000,600 font "sans,10"
set output outfile
set title "c-lighttpd: throughput and p99 against worker processes\n{/*0.85 ".subtitle."}"
set xlabel "worker processes (WORKERS)"
set ylabel "requests per second"
set y2label "p99 latency (ms)"
set yrange [0:*]
set y2range [0:*]
set ytics nomirror
set y2tics
set grid ytics
set offsets 0.5, 0.5, 0, 0
set key outside bottom center horizontal
set bmargin 6
plot datafile using 1:2:3:4:xtic(1) with yerrorlines lw 2 pt 7 lc rgb "#4a7ab5" title "rps (median, min-max)", \
     "" using 1:5:6:7 axes x1y2 with yerrorlines lw 2 pt 5 dt 2 lc rgb "#c0392b" title "p99 (median, min-max)"
