# bench/charts/throughput.gp -- requests per second per stack and mode:
# the median of the rounds, min-max as error bars, pgbench as a line.
# gnuplot -e "datafile='...'; outfile='...'; n=5; ceiling=21000;
#             keepalive=1; subtitle='...'"
# datafile: "label" close min max keepalive min max  ("-" = not measured);
# keepalive=0: no keep-alive column at all.
set terminal pngcairo size 1100,650 font "sans,10"
set output outfile
set title "GET /users: throughput (higher is better)\n{/*0.85 ".subtitle."}"
set datafile missing "-"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border -1
set boxwidth 1
set ylabel "requests per second"
set yrange [0:*]
set xrange [-0.6:n - 0.4]
set bmargin 8
set grid ytics
set key outside bottom center horizontal
label(v) = v == v ? sprintf("%.0f", v) : ""
ceiling_line = sprintf("pgbench ceiling (%.0f tps)", ceiling)
if (keepalive) {
    plot datafile using 2:3:4:xtic(1) title "connection per request" lc rgb "#4a7ab5", \
         "" using 5:6:7 title "keep-alive" lc rgb "#e39b3b", \
         "" using ($0 - 0.125):2:(label($2)) with labels offset 0,0.8 notitle, \
         "" using ($0 + 0.125):5:(label($5)) with labels offset 0,0.8 notitle, \
         (ceiling > 0 ? ceiling : 1/0) with lines dt 2 lw 2 lc rgb "#555555" title ceiling_line
} else {
    plot datafile using 2:3:4:xtic(1) title "connection per request" lc rgb "#4a7ab5", \
         "" using 0:2:(label($2)) with labels offset 0,0.8 notitle, \
         (ceiling > 0 ? ceiling : 1/0) with lines dt 2 lw 2 lc rgb "#555555" title ceiling_line
}
