package load

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Print writes one table per point, a row per target, each measure
// followed by its ratio to the baseline target's in the same point.
func Print(w io.Writer, results []Result, baseline string) {
	var order []string
	byPoint := map[string][]Result{}
	for _, r := range results {
		name := r.Point.Name()
		if _, ok := byPoint[name]; !ok {
			order = append(order, name)
		}
		byPoint[name] = append(byPoint[name], r)
	}
	for _, name := range order {
		rows := byPoint[name]
		var base *Result
		for i := range rows {
			if rows[i].Target == baseline {
				base = &rows[i]
			}
		}
		fmt.Fprintf(w, "\n%s, %s per target\n", name, rows[0].Point.Duration)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "target\tcalls/s\t×\tp50 µs\t×\tp99 µs\t×\tCPU µs/call\t×\tKiB/call\t×\tallocs/call\t×\tcalls\tok\tlost 408\tunserved\tfailed\t")
		for _, r := range rows {
			ratio := func(f func(Result) float64) string {
				if base == nil || f(*base) == 0 {
					return "-"
				}
				return fmt.Sprintf("%.2f", f(r)/f(*base))
			}
			cps := func(x Result) float64 { return x.CallsPerSecond() }
			p50 := func(x Result) float64 { return float64(x.P50.Microseconds()) }
			p99 := func(x Result) float64 { return float64(x.P99.Microseconds()) }
			cpu := func(x Result) float64 { return float64(x.CPUPerCall.Microseconds()) }
			kib := func(x Result) float64 { return x.BytesPerCall / 1024 }
			al := func(x Result) float64 { return x.AllocsPerCall }
			fmt.Fprintf(tw, "%s\t%.0f\t%s\t%.0f\t%s\t%.0f\t%s\t%.0f\t%s\t%.1f\t%s\t%.0f\t%s\t%d\t%d\t%d\t%d\t%d\t\n",
				r.Target, cps(r), ratio(cps), p50(r), ratio(p50), p99(r), ratio(p99),
				cpu(r), ratio(cpu), kib(r), ratio(kib), al(r), ratio(al),
				r.Calls, r.OK, r.Lost, r.Unserved, r.Failed)
		}
		_ = tw.Flush()
		for _, r := range rows {
			if r.FirstFailure != nil {
				fmt.Fprintf(w, "  %s: first failure: %s\n", r.Target, oneLine(r.FirstFailure.Error(), 300))
			}
		}
	}
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
