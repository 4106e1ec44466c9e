# bench/charts/latency.gp -- p50, p99 and p99.9 per stack (log scale),
# one panel per mode.  gnuplot -e "closefile='...'; keepfile='...';
# outfile='...'; n=5; subtitle='...'"
# files: "label" p50 p99 p99.9 (ms; "-" = not measured); an empty name
# leaves its panel out.
set terminal pngcairo size 1100,900 font "sans,10"
set output outfile
set datafile missing "-"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set yrange [0.05:*]
set xrange [-0.6:n - 0.4]
set ylabel "latency (ms, log scale)"
set grid ytics
set key outside bottom center horizontal
set bmargin 8
panels = (closefile ne "" ? 1 : 0) + (keepfile ne "" ? 1 : 0)
set multiplot layout panels,1 title "GET /users: latency percentiles (lower is better)\n{/*0.85 ".subtitle."}"
do for [f in closefile." ".keepfile] {
    set title (f eq closefile ? "connection per request" : "keep-alive")
    plot f using 2:xtic(1) title "p50" lc rgb "#7fb0dc", \
         "" using 3 title "p99" lc rgb "#4a7ab5", \
         "" using 4 title "p99.9" lc rgb "#1f3d66"
}
unset multiplot
